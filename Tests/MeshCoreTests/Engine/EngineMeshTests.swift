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
}
