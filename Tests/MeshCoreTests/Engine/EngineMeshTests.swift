import MeshCore
import Testing

@Suite("Engine mesh: discovery, relay, broadcast trees")
struct EngineMeshTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  func mac(_ n: Int) -> MACAddress { MACAddress(0x02, 0, 0, 0, 0, UInt8(n)) }

  @Test func oneConnectJoinsAHostToEveryMember() {
    var net = Network()
    let hosts = (1...6).map { net.add($0, secret: secret) }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    net.advance(20, step: 0.1)
    for a in hosts {
      for b in hosts where a != b {
        #expect(net.established(a, b), "\(a) → \(b)")
      }
    }
    // Hosts 4 and 5 talk directly: a frame from 4 to 5's MAC goes to 5's endpoint.
    net.sendFrame(from: hosts[4], ethernetFrame(dst: .broadcast, src: mac(5)))
    net.outputs[hosts[3]]!.sent.removeAll()
    net.sendFrame(from: hosts[3], ethernetFrame(dst: mac(5), src: mac(4)))
    #expect(net.wire.last { $0.from == hosts[3] && $0.bytes[0] == 4 }?.to == hosts[4])
  }

  @Test func framesAreRelayedWhenTwoHostsCannotMeet() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let c = net.add(3, secret: secret)
    net.blocked = [[a, c]]
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.hosts[c]!.connect(b, now: net.clock.now())
    net.advance(10, step: 0.1)
    #expect(!net.established(a, c))
    // C announces its MAC with a broadcast; A learns it behind C and answers by relay.
    net.sendFrame(from: c, ethernetFrame(dst: .broadcast, src: mac(3)))
    #expect(net.outputs[a]!.delivered.count == 1)
    net.sendFrame(from: a, ethernetFrame(dst: mac(3), src: mac(1), payload: Array("via B".utf8)))
    #expect(
      net.outputs[c]!.delivered.last
        == ethernetFrame(dst: mac(3), src: mac(1), payload: Array("via B".utf8)))
    #expect(net.outputs[b]!.delivered.count == 1)  // B saw the broadcast, not the unicast
  }

  @Test func aBroadcastReachesEveryHostExactlyOnceOnALine() {
    var net = Network()
    let hosts = (1...5).map { net.add($0, secret: secret) }
    // A line 1-2-3-4-5: every other pair is blocked.
    for i in hosts.indices {
      for j in hosts.indices where j > i + 1 { net.blocked.insert([hosts[i], hosts[j]]) }
    }
    for i in 1..<hosts.count { net.hosts[hosts[i]]!.connect(hosts[i - 1], now: net.clock.now()) }
    net.advance(20, step: 0.1)
    for (n, origin) in hosts.enumerated() {
      for h in hosts { net.outputs[h]!.delivered.removeAll() }
      net.sendFrame(from: origin, ethernetFrame(dst: .broadcast, src: mac(90 + n)))
      for h in hosts where h != origin {
        #expect(net.outputs[h]!.delivered.count == 1, "from \(origin) at \(h)")
      }
      #expect(net.outputs[origin]!.delivered.isEmpty)
    }
  }

  /// The engine tells its output which datagrams lie in the caller's frame buffer (they may
  /// wait for a batch) and which lie in its scratch space (they must leave at once).
  @Test func onlyAFrameSealedInTheCallersBufferIsSentInPlace() {
    var net = Network()
    let hosts = (1...3).map { net.add($0, secret: secret) }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    net.advance(10, step: 0.1)
    net.sendFrame(from: hosts[1], ethernetFrame(dst: .broadcast, src: mac(2)))
    net.outputs[hosts[0]]!.sentInPlace = 0
    net.outputs[hosts[0]]!.sent.removeAll()
    // A unicast frame to a known MAC: sealed where it lies, sent in place.
    var buffer = [UInt8](repeating: 0, count: MeshEngine.bufferSize)
    let unicast = ethernetFrame(dst: mac(2), src: mac(1))
    buffer.replaceSubrange(
      MeshEngine.framePrefix..<(MeshEngine.framePrefix + unicast.count), with: unicast)
    buffer.withUnsafeMutableBytes { b in
      net.hosts[hosts[0]]!.sendFrame(
        b, frameLength: unicast.count, now: net.clock.now(), out: &net.outputs[hosts[0]]!)
    }
    #expect(net.outputs[hosts[0]]!.sentInPlace == 1)
    #expect(net.outputs[hosts[0]]!.sent.count == 1)
    // A broadcast: every copy is made in the engine's scratch space, none in place.
    let broadcast = ethernetFrame(dst: .broadcast, src: mac(1))
    buffer.replaceSubrange(
      MeshEngine.framePrefix..<(MeshEngine.framePrefix + broadcast.count), with: broadcast)
    buffer.withUnsafeMutableBytes { b in
      net.hosts[hosts[0]]!.sendFrame(
        b, frameLength: broadcast.count, now: net.clock.now(), out: &net.outputs[hosts[0]]!)
    }
    #expect(net.outputs[hosts[0]]!.sentInPlace == 1)
    #expect(net.outputs[hosts[0]]!.sent.count == 3)
  }
}

@Suite("Engine IPAM over gossip")
struct EngineIPAMTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let plan = try! IPAMPlan(range: IPv4Network("10.47.0.0/16")!, subnetSize: 24)

  let operatorKey = try! OperatorKey(seed: [UInt8](repeating: 0x0E, count: 32))

  func ipamNetwork(
    _ count: Int, claims: [Int: SubnetClaim] = [:], operatorKeys: Set<OperatorPublicKey> = []
  ) -> (Network, [Endpoint]) {
    var net = Network()
    let hosts = (1...count).map {
      net.add($0, secret: secret, ipam: plan, claim: claims[$0], operatorKeys: operatorKeys)
    }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    return (net, hosts)
  }

  @Test func everyHostClaimsADistinctSubnetAndAllAgree() {
    var (net, hosts) = ipamNetwork(8)
    net.advance(15, step: 0.1)
    let subnets = hosts.compactMap { net.status($0).subnet }
    #expect(subnets.count == 8)
    #expect(Set(subnets).count == 8)
    let views = hosts.map { h in net.status(h).claims.map { "\($0.peer)=\($0.subnet)" } }
    #expect(Set(views.map { $0.joined(separator: ",") }).count == 1, "\(views)")
    #expect(views[0].count == 8)
  }

  @Test func aConflictIsWonByTheEarlierClaimAndTheLoserMoves() {
    let contested = IPv4Network("10.47.9.0/24")!
    // Both claims were just made: the later one is inside the move window.
    let wall = FakeClock().wallNanoseconds()
    var (net, hosts) = ipamNetwork(
      3,
      claims: [
        2: SubnetClaim(subnet: contested, claimedAt: wall - 2_000_000_000),
        3: SubnetClaim(subnet: contested, claimedAt: wall),
      ])
    net.advance(15, step: 0.1)
    #expect(net.status(hosts[1]).subnet == contested)
    #expect(net.status(hosts[2]).subnet != nil && net.status(hosts[2]).subnet != contested)
    #expect(
      net.outputs[hosts[2]]!.events.contains { if case .subnetClaimed = $0 { true } else { false } }
    )
  }

  @Test func releasingAHostWithAnOperatorTombstoneFreesItsSubnetEverywhere() throws {
    var (net, hosts) = ipamNetwork(3, operatorKeys: [operatorKey.publicKey])
    net.advance(15, step: 0.1)
    let gone = net.status(hosts[2])
    net.hosts[hosts[2]] = nil
    let tombstone = try #require(
      net.hosts[hosts[0]]!.operatorTombstone(for: gone.id, signedBy: operatorKey))
    let released = net.hosts[hosts[0]]!.release(gone.id, now: net.clock.now(), tombstone: tombstone)
    #expect(released)
    net.advance(30, step: 0.1)  // anti-entropy carries the tombstone within its interval
    for h in hosts.prefix(2) {
      #expect(!net.status(h).claims.contains { $0.peer == gone.id }, "\(h)")
    }
  }

  @Test func aReleaseWithoutAnOperatorSignatureStaysLocal() throws {
    var (net, hosts) = ipamNetwork(3)
    net.advance(15, step: 0.1)
    let gone = net.status(hosts[2])
    net.hosts[hosts[2]] = nil
    // No operator key configured: an operator's tombstone is refused, a plain release is
    // local, and the other host keeps the record and its claim.
    let tombstone = try #require(
      net.hosts[hosts[0]]!.operatorTombstone(for: gone.id, signedBy: operatorKey))
    let refused = net.hosts[hosts[0]]!.release(gone.id, now: net.clock.now(), tombstone: tombstone)
    #expect(!refused)
    #expect(net.hosts[hosts[0]]!.gossiper.stats.unknownOperators == 1)
    let local = net.hosts[hosts[0]]!.release(gone.id, now: net.clock.now())
    #expect(local)
    net.advance(30, step: 0.1)
    #expect(net.status(hosts[1]).claims.contains { $0.peer == gone.id })
    #expect(net.hosts[hosts[1]]!.gossiper.topology[gone.id]?.departed == false)
  }

  @Test func anOperatorReleaseReportsWhatItDid() throws {
    var (net, hosts) = ipamNetwork(3, operatorKeys: [operatorKey.publicKey])
    net.advance(15, step: 0.1)
    let gone = net.status(hosts[2])
    net.hosts[hosts[2]] = nil
    let stranger = OperatorKey.generate()
    #expect(
      net.hosts[hosts[0]]!.release(gone.id, now: net.clock.now(), operatorKey: stranger)
        == .untrustedOperator)
    #expect(
      net.hosts[hosts[0]]!.release(PeerID(rawValue: 42), now: net.clock.now(), operatorKey: nil)
        == .unknown)
    #expect(
      net.hosts[hosts[0]]!.release(gone.id, now: net.clock.now(), operatorKey: operatorKey)
        == .meshWide)
    net.advance(30, step: 0.1)
    #expect(net.hosts[hosts[1]]!.gossiper.topology[gone.id]?.departed == true)
  }
}
