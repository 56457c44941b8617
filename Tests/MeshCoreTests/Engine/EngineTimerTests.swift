import MeshCore
import Testing

@Suite("Engine timers on a fake clock")
struct EngineTimerTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let macA = MACAddress(0x02, 0, 0, 0, 0, 0xA)

  @Test func dialsBackOffFromTwoSecondsWithJitter() {
    var net = Network()
    let a = net.add(1, secret: secret)
    net.hosts[a]!.connect(Network.endpoint(9), now: net.clock.now())  // nobody there
    var sendTimes: [Double] = []
    let start = net.clock.now()
    for _ in 0..<1200 {  // 120 s
      net.clock.advance(0.1)
      net.hosts[a]!.tick(now: net.clock.now(), out: &net.outputs[a]!)
      if !net.outputs[a]!.sent.isEmpty {
        sendTimes.append(net.clock.now().seconds(since: start))
        net.outputs[a]!.sent.removeAll()
      }
    }
    let gaps = zip(sendTimes, sendTimes.dropFirst()).map { $1 - $0 }
    #expect(gaps.count >= 5)
    #expect(gaps[0] >= 2 - 0.11 && gaps[0] <= 2 * 4 / 3 + 0.11)
    for (x, y) in zip(gaps, gaps.dropFirst()) { #expect(y > x * 1.4 && y < x * 2.7) }
  }

  @Test func retriesEveryRekeyTimeoutWithJitter() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    #expect(net.established(a, b))
    net.hosts[b] = nil  // gone: A now retries its known peer at the WireGuard pace
    net.outputs[a]!.sent.removeAll()
    var handshakes: [Double] = []
    let start = net.clock.now()
    for _ in 0..<500 {  // 50 s
      net.clock.advance(0.1)
      net.hosts[a]!.tick(now: net.clock.now(), out: &net.outputs[a]!)
      if net.outputs[a]!.sent.contains(where: { $0.bytes[0] == 1 }) {
        handshakes.append(net.clock.now().seconds(since: start))
      }
      net.outputs[a]!.sent.removeAll()
    }
    #expect(handshakes.count >= 5)
    for (x, y) in zip(handshakes, handshakes.dropFirst()) where y - x > 1 {
      #expect(y - x >= 5 - 0.11 && y - x <= 5.333 + 0.11)
    }
  }

  @Test func retriesBackOffAfterTheAttemptTimeAndNeverStop() {
    var net = Network()
    let a = net.add(1, secret: secret)
    net.hosts[a]!.connect(Network.endpoint(9), now: net.clock.now())
    var sendTimes: [Double] = []
    let start = net.clock.now()
    for _ in 0..<(3600 * 2) {  // one hour, half-second steps
      net.clock.advance(0.5)
      net.hosts[a]!.tick(now: net.clock.now(), out: &net.outputs[a]!)
      if !net.outputs[a]!.sent.isEmpty {
        sendTimes.append(net.clock.now().seconds(since: start))
        net.outputs[a]!.sent.removeAll()
      }
    }
    let gaps = zip(sendTimes, sendTimes.dropFirst()).map { $1 - $0 }
    #expect(gaps.max()! <= 360 * 4 / 3 + 1)
    #expect(gaps.last! >= 300)
    #expect(sendTimes.last! > 3000)
  }

  @Test func initiatorRekeysAfterRekeyTime() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    net.advance(118, step: 1)
    #expect(net.status(a).peers.first!.handshakesCompleted == 1)
    net.advance(3, step: 0.1)
    #expect(net.status(a).peers.first!.handshakesCompleted == 2)
    #expect(net.established(a, b) && net.established(b, a))
  }

  @Test func shortRekeyIntervalKeepsTrafficFlowing() {
    var net = Network()
    let a = net.add(1, secret: secret, timers: .rekeying(after: 3))
    let b = net.add(2, secret: secret, timers: .rekeying(after: 3))
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    for i in 0..<200 {
      net.sendFrame(
        from: a, ethernetFrame(dst: .broadcast, src: macA, payload: [UInt8(truncatingIfNeeded: i)]))
      net.advance(0.1)
    }
    #expect(net.outputs[b]!.delivered.count == 200)
    #expect(net.status(a).peers.first!.handshakesCompleted >= 5)
  }

  @Test func keepaliveSentOnIdleSession() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    let before = net.wire.count
    net.advance(25, step: 0.5)
    let keepalives = net.wire[before...].filter { $0.bytes[0] == 4 && $0.bytes.count == 33 }
    #expect(keepalives.count >= 4)
    #expect(net.established(a, b))
  }

  @Test func deadPeerIsDetectedAndReconnected() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    net.cut = [b]
    net.advance(20, step: 0.5)
    #expect(net.outputs[a]!.events.contains { $0.downPeer == net.status(b).id })
    net.cut = []
    net.advance(12, step: 0.5)
    #expect(net.established(a, b) && net.established(b, a))
  }

  @Test func sessionsExpireAndKeysAreDroppedWhenPeerVanishes() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    net.hosts[b] = nil  // gone for good
    net.advance(200, step: 1)
    #expect(!net.established(a, b))
    #expect(net.status(a).peers.first!.sessionAge == nil)
    net.sendFrame(from: a, ethernetFrame(dst: .broadcast, src: macA))
    #expect(net.status(a).drops[.noSession] >= 1)
  }
}
