import MeshCore
import Testing

@Suite("Engine mesh at scale (in memory)")
struct EngineScaleTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  @Test func fortyHostsFormAFullMeshFromOneSeed() {
    var net = Network()
    let hosts = (1...40).map { net.add($0, secret: secret) }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    net.advance(30, step: 0.1)
    var missing: [String] = []
    for a in hosts {
      let up = net.status(a).peers.filter { $0.state == "established" }.count
      if up != hosts.count - 1 { missing.append("\(a): \(up)") }
    }
    #expect(missing.isEmpty, "\(missing)")
  }
}
