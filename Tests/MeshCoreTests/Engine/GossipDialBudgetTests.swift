import MeshCore
import Testing

@testable import MeshLogic
@testable import MeshProtocol

/// A member may announce members it invented (signed by their own invented keys): a host
/// dials their endpoints only within a budget, gives each up after a few unanswered attempts,
/// and saves none of them as known peers.
@Suite("Engine: endpoints learned from gossip are dialled within a budget")
struct GossipDialBudgetTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// `count` members invented by the member at `from`, each at a silent address.
  func inventMembers(_ count: Int, in net: inout Network, from m: Endpoint, to a: Endpoint)
    -> [Endpoint]
  {
    var random = SeededRandom(seed: 99)
    let version = net.clock.wallNanoseconds()
    let ghosts = (0..<count).map { Endpoint("198.51.100.\($0 % 250 + 1):\(7000 + $0)")! }
    let records = ghosts.enumerated().map { index, endpoint in
      let key = PrivateKey.generate(using: &random)
      return PeerRecord(
        publicKey: key.publicKey, nickname: "ghost\(index)", endpoints: [endpoint],
        version: version
      ).signed(with: key, random: random.bytes(XEdDSA.randomLength))
    }
    let idA = net.hosts[a]!.id
    let messages = GossipMessage.pack(records).map { (to: idA, bytes: $0) }
    net.hosts[m]!.sendGossip(messages, now: net.clock.now(), out: &net.outputs[m]!)
    net.run()
    return ghosts
  }

  @Test func inventedMembersCostAFewDatagramsEachAndAreNeverSaved() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let m = net.add(2, secret: secret)
    net.hosts[m]!.connect(a, now: net.clock.now())
    net.advance(2)
    #expect(net.established(a, m))
    let ghosts = inventMembers(100, in: &net, from: m, to: a)
    net.advance(120, step: 0.1)

    var perAddress: [Endpoint: Int] = [:]
    for datagram in net.wire where datagram.from == a && ghosts.contains(datagram.to) {
      perAddress[datagram.to, default: 0] += 1
    }
    #expect(perAddress.count == 100, "every invented member was tried")
    #expect(perAddress.values.allSatisfy { $0 <= MeshLimits.maxGossipDialAttempts })
    #expect(net.hosts[a]!.dials.isEmpty, "every unanswered dial was given up")
    #expect(Set(net.hosts[a]!.knownEndpoints) == [m], "only the verified peer is saved")

    // The budget: no more than the burst plus the refill over the time it took.
    let total = perAddress.values.reduce(0, +)
    #expect(total <= 100 * MeshLimits.maxGossipDialAttempts)
    // Announcing them again does not bring them back for a while.
    let before = net.wire.count
    _ = inventMembers(100, in: &net, from: m, to: a)
    net.advance(10, step: 0.1)
    #expect(!net.wire[before...].contains { $0.from == a && ghosts.contains($0.to) })
  }

  @Test func theBudgetSpreadsAttemptsOverTime() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let m = net.add(2, secret: secret)
    net.hosts[m]!.connect(a, now: net.clock.now())
    net.advance(2)
    let ghosts = inventMembers(200, in: &net, from: m, to: a)
    let start = net.wire.count
    net.advance(3, step: 0.1)
    let firstSeconds = net.wire[start...].filter { $0.from == a && ghosts.contains($0.to) }.count
    #expect(
      Double(firstSeconds)
        <= MeshLimits.gossipDialBurst + 3 * MeshLimits.gossipDialsPerSecond + 1)
  }

  @Test func anOperatorConnectVouchesForAGossipEndpoint() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let m = net.add(2, secret: secret)
    net.hosts[m]!.connect(a, now: net.clock.now())
    net.advance(2)
    let ghosts = inventMembers(1, in: &net, from: m, to: a)
    net.hosts[a]!.connect(ghosts[0], now: net.clock.now())
    #expect(net.hosts[a]!.knownEndpoints.contains(ghosts[0]))
    net.advance(60, step: 0.1)
    #expect(net.hosts[a]!.dials[ghosts[0]] != nil, "an endpoint the operator asked for stays")
  }
}
