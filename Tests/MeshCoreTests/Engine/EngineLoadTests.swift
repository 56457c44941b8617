import MeshCore
import Testing

@Suite("Engine under handshake load: queue, cookies, rate limit")
struct EngineLoadTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// Fills B's handshake queue with copies of a valid initiation from many addresses.
  func overload(_ net: inout Network, _ b: Endpoint, with initiation: [UInt8], count: Int) {
    for i in 0..<count {
      var copy = initiation
      let fake = Endpoint("198.51.100.\(i % 250 + 1):\(1000 + i)")!
      copy.withUnsafeMutableBytes {
        net.hosts[b]!.receive($0, from: fake, now: net.clock.now(), out: &net.outputs[b]!)
      }
    }
  }

  @Test func underLoadAHandshakeNeedsACookieAndStillSucceeds() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let c = net.add(3, secret: secret)
    // Any member's initiation will do as flood material.
    net.hosts[c]!.connect(Network.endpoint(9), now: net.clock.now())
    net.hosts[c]!.tick(now: net.clock.now(), out: &net.outputs[c]!)
    let material = net.outputs[c]!.sent.removeFirst().bytes
    overload(&net, b, with: material, count: MeshEngine.handshakeQueueCapacity / 8 + 4)
    #expect(net.hosts[b]!.isUnderLoad)
    net.outputs[b]!.sent.removeAll()
    let cookiesBefore = net.status(b).drops[.cookieRequired]

    net.hosts[a]!.connect(b, now: net.clock.now())
    net.hosts[a]!.tick(now: net.clock.now(), out: &net.outputs[a]!)
    // Deliver A's first initiation by hand: B answers with a cookie, not a response.
    var first = net.outputs[a]!.sent.removeFirst().bytes
    first.withUnsafeMutableBytes {
      net.hosts[b]!.receive($0, from: a, now: net.clock.now(), out: &net.outputs[b]!)
    }
    #expect(net.status(b).drops[.cookieRequired] == cookiesBefore + 1)
    #expect(net.outputs[b]!.sent.count == 1 && net.outputs[b]!.sent[0].bytes[0] == 3)
    // From here on the network runs: A takes the cookie, retries with mac2, gets in.
    net.run()
    net.advance(10)  // the queue drains `handshakesPerTurn` a turn
    #expect(net.established(a, b))
  }

  @Test func queueIsBoundedAndNonMembersNeverEnterIt() {
    var net = Network()
    let b = net.add(2, secret: secret)
    let c = net.add(3, secret: secret)
    net.hosts[c]!.connect(Network.endpoint(9), now: net.clock.now())
    net.hosts[c]!.tick(now: net.clock.now(), out: &net.outputs[c]!)
    let material = net.outputs[c]!.sent.removeFirst().bytes
    var forged = material
    forged[forged.count - 20] ^= 1  // breaks mac1
    for _ in 0..<1000 {
      var copy = forged
      copy.withUnsafeMutableBytes {
        net.hosts[b]!.receive(
          $0, from: Network.endpoint(5), now: net.clock.now(), out: &net.outputs[b]!)
      }
    }
    #expect(!net.hosts[b]!.isUnderLoad)
    #expect(net.status(b).drops[.mac1] == 1000)
    // Members under load without cookies: everything past the threshold gets cookie replies,
    // and the queue never grows past its bound.
    overload(&net, b, with: material, count: 2000)
    #expect(net.status(b).drops[.cookieRequired] >= 2000 - MeshEngine.handshakeQueueCapacity / 8)
    #expect(net.status(b).drops[.handshakeQueueFull] == 0)
  }
}
