import MeshCore
import Testing

@testable import MeshLogic

/// End-to-end sessions through a relay: A (1) and C (3) reach each other only through B (2).
/// Frames between them are sealed for the far end and B passes them on unopened; B is a
/// member that may have gone bad, so it must not be able to read, alter, replay or forge them.
@Suite("Engine: end-to-end sessions through a relay")
struct EndToEndTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  func mac(_ n: Int) -> MACAddress { MACAddress(0x02, 0, 0, 0, 0, UInt8(n)) }

  /// The line A – B – C after A's first frame for C, which starts A's end-to-end session to C
  /// (when A starts them). `configureA` and `configureC` set up those hosts; `limitToC` is
  /// the largest datagram that reaches C.
  func line(
    configureA: (inout MeshEngineConfiguration) -> Void = { _ in },
    configureC: (inout MeshEngineConfiguration) -> Void = { _ in }, limitToC: Int? = nil
  ) -> (net: Network, a: Endpoint, b: Endpoint, c: Endpoint) {
    var net = Network()
    let a = net.add(1, secret: secret, configure: configureA)
    let b = net.add(2, secret: secret)
    let c = net.add(3, secret: secret, configure: configureC)
    net.linkLimit[c] = limitToC
    net.blocked = [[a, c]]
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.hosts[c]!.connect(b, now: net.clock.now())
    net.advance(10, step: 0.1)
    net.sendFrame(from: c, ethernetFrame(dst: .broadcast, src: mac(3)))
    net.sendFrame(from: a, ethernetFrame(dst: .broadcast, src: mac(1)))
    // The first frame goes relayed hop by hop and starts the handshake.
    net.sendFrame(from: a, ethernetFrame(dst: mac(3), src: mac(1)))
    net.advance(1)
    return (net, a, b, c)
  }

  /// The forwarded datagrams (type 5) that crossed from `from` to `to`.
  func forwarded(_ net: Network, from: Endpoint, to: Endpoint) -> [[UInt8]] {
    net.wire.filter { $0.from == from && $0.to == to && $0.bytes.first == 5 }.map(\.bytes)
  }

  /// Hands `bytes` to `host` as a datagram from `source`, outside the harness's delivery.
  func inject(_ net: inout Network, _ bytes: [UInt8], to host: Endpoint, from source: Endpoint) {
    var copy = bytes
    var engine = net.hosts[host]!
    var out = net.outputs[host]!
    let now = net.clock.now()
    copy.withUnsafeMutableBytes { engine.receive($0, from: source, now: now, out: &out) }
    net.hosts[host] = engine
    net.outputs[host] = out
  }

  func isEndToEnd(_ net: Network, _ host: Endpoint, to other: Endpoint) -> Bool {
    let id = net.hosts[other]!.id
    return net.status(host).routes.first { $0.destination == id }?.isEndToEnd == true
  }

  @Test func framesGoEndToEndAndTheRelayPassesThemOnUnopened() {
    var (net, a, b, c) = line()
    #expect(!net.established(a, c))
    #expect(isEndToEnd(net, a, to: c) && isEndToEnd(net, c, to: a))
    let forwardedBefore = net.hosts[b]!.forwardedDatagrams
    let deliveredAtB = net.outputs[b]!.delivered.count
    let deliveredAtC = net.outputs[c]!.delivered.count
    let frames = (1...10).map { ethernetFrame(dst: mac(3), src: mac(1), payload: [UInt8($0)]) }
    for f in frames { net.sendFrame(from: a, f) }

    #expect(Array(net.outputs[c]!.delivered.dropFirst(deliveredAtC)) == frames, "once, in order")
    #expect(net.hosts[b]!.forwardedDatagrams - forwardedBefore == 10)
    #expect(net.outputs[b]!.delivered.count == deliveredAtB, "B's bridge saw none of them")
    // B rewrote the hop fields only: the inner datagrams left it as they came.
    let inbound = forwarded(net, from: a, to: b).suffix(10).map { Array($0[44...]) }
    let outbound = forwarded(net, from: b, to: c).suffix(10).map { Array($0[44...]) }
    #expect(inbound == outbound)
    // Nothing of the frames is readable on either hop.
    for datagram in inbound {
      #expect(!datagram.contains(subsequence: mac(3).octets + mac(1).octets))
    }
    // C learnt A's MAC from A's own key.
    #expect(
      net.hosts[c]!.macTable.lookup(mac(1), now: net.clock.now()) == .remote(net.hosts[a]!.id))
    // And the way back is end to end too.
    let forwardedAfter = net.hosts[b]!.forwardedDatagrams
    net.sendFrame(from: c, ethernetFrame(dst: mac(1), src: mac(3), payload: [99]))
    #expect(
      net.outputs[a]!.delivered.last == ethernetFrame(dst: mac(1), src: mac(3), payload: [99]))
    #expect(net.hosts[b]!.forwardedDatagrams == forwardedAfter + 1)
  }

  @Test func aRelayThatAltersAForwardedFrameGetsItDropped() {
    var (net, a, b, c) = line()
    // Hold what B sends C, then hand C a copy with one byte of the sealed frame changed.
    net.cut = [c]
    net.sendFrame(from: a, ethernetFrame(dst: mac(3), src: mac(1), payload: Array("secret".utf8)))
    net.cut = []
    let original = forwarded(net, from: b, to: c).last!
    var altered = original  // what B passes on, one bit of the sealed frame flipped
    altered[44 + 20] ^= 0x01
    let delivered = net.outputs[c]!.delivered.count
    let authDrops = net.hosts[c]!.drops[.authentication]
    inject(&net, altered, to: c, from: b)
    #expect(net.hosts[c]!.drops[.authentication] == authDrops + 1)
    #expect(net.outputs[c]!.delivered.count == delivered)
    // The session is unharmed: the next frame opens.
    net.sendFrame(from: a, ethernetFrame(dst: mac(3), src: mac(1), payload: [42]))
    #expect(
      net.outputs[c]!.delivered.last == ethernetFrame(dst: mac(3), src: mac(1), payload: [42]))
  }

  @Test func aReplayedOrForgedForwardedDatagramIsDroppedByTheRelay() {
    var (net, a, b, _) = line()
    net.sendFrame(from: a, ethernetFrame(dst: mac(3), src: mac(1)))
    let seen = forwarded(net, from: a, to: b).last!
    let forwardedBefore = net.hosts[b]!.forwardedDatagrams
    func deliver(_ bytes: [UInt8]) { inject(&net, bytes, to: b, from: a) }
    let drops = net.hosts[b]!.drops
    deliver(seen)  // replayed
    #expect(net.hosts[b]!.drops[.replay] == drops[.replay] + 1)
    var forged = seen
    forged[8] &+= 1  // a counter never used, but the tag is not the hop's
    deliver(forged)
    #expect(net.hosts[b]!.drops[.authentication] == drops[.authentication] + 1)
    var stranger = seen
    stranger[4] ^= 0xFF  // an index no session has
    deliver(stranger)
    #expect(net.hosts[b]!.drops[.unknownIndex] == drops[.unknownIndex] + 1)
    // The end-to-end message alone, sent straight to its destination: refused there, since an
    // end-to-end session's messages come only inside forwarded datagrams.
    let c = net.hosts.keys.first { $0 != a && $0 != b }!
    let cDrops = net.hosts[c]!.drops[.unknownIndex]
    inject(&net, Array(seen[44...]), to: c, from: a)
    #expect(net.hosts[c]!.drops[.unknownIndex] == cDrops + 1)
    var truncated = Array(seen.prefix(ForwardHeader.minDatagram - 1))
    truncated[0] = 5
    deliver(truncated)
    #expect(net.hosts[b]!.drops[.malformed] == drops[.malformed] + 1)
    #expect(net.hosts[b]!.forwardedDatagrams == forwardedBefore)
  }

  @Test func theSessionIsRekeyedAndFramesKeepGoingEndToEnd() {
    var (net, a, _, c) = line()
    let cID = net.hosts[c]!.id
    let first = net.hosts[a]!.endToEnd[cID]?.current
    var sent: [[UInt8]] = []
    let deliveredAtC = net.outputs[c]!.delivered.count
    for i in 0..<40 {
      let f = ethernetFrame(dst: mac(3), src: mac(1), payload: [UInt8(i)])
      sent.append(f)
      net.sendFrame(from: a, f)
      net.advance(5)
    }
    #expect(Array(net.outputs[c]!.delivered.dropFirst(deliveredAtC)) == sent)
    #expect(net.hosts[a]!.endToEnd[cID]?.current != first, "a new session after 120 s")
    #expect(isEndToEnd(net, a, to: c))
  }

  @Test func aHostWithEndToEndOffRelaysHopByHopAndStillAnswers() {
    var (net, a, _, c) = line(configureA: { $0.startsEndToEndSessions = false })
    #expect(!isEndToEnd(net, a, to: c))
    #expect(net.outputs[c]!.delivered.last == ethernetFrame(dst: mac(3), src: mac(1)))
    // C starts its own session, and A answers it.
    net.sendFrame(from: c, ethernetFrame(dst: mac(1), src: mac(3)))
    net.advance(1)
    #expect(isEndToEnd(net, c, to: a))
  }

  @Test func aForwardedDatagramTooLargeForTheNextHopCrossesItInPieces() {
    // B's datagrams to C: nothing larger than 1372 bytes arrives.
    var (net, a, b, c) = line(configureC: { $0.underlayMTU = 1400 }, limitToC: 1372)
    #expect(isEndToEnd(net, a, to: c))
    let big = ethernetFrame(dst: mac(3), src: mac(1), payload: [UInt8](repeating: 9, count: 3000))
    let forwarded = net.hosts[b]!.forwardedDatagrams
    net.wire.removeAll()
    net.sendFrame(from: a, big)
    #expect(net.outputs[c]!.delivered.last == big)
    #expect(net.hosts[b]!.forwardedDatagrams == forwarded + 1, "B passed it on unopened")
    #expect(net.wire.filter { $0.to == c }.allSatisfy { $0.bytes.count <= 1372 }, "in pieces")
    #expect(net.hosts[b]!.drops.total == 0 && net.hosts[c]!.drops.total == 0)
  }

  @Test func unansweredHandshakesBackOff() {
    var link = EndToEndLink()
    let timers = SessionTimers()
    let t0 = MeshInstant(nanoseconds: 1_000_000_000)
    #expect(link.wantsHandshake(age: nil, isInitiator: true, sent: 0, now: t0, timers: timers))
    var waits: [Double] = []
    var now = t0
    for _ in 0..<7 {
      link.lastAttempt = now
      link.attempts += 1
      var wait = 0.0
      while !link.wantsHandshake(
        age: nil, isInitiator: true, sent: 0, now: now.adding(seconds: wait), timers: timers)
      {
        wait += 1
      }
      waits.append(wait)
      now = now.adding(seconds: wait)
    }
    #expect(waits == [5, 10, 20, 40, 60, 60, 60])
    // A fresh session wants no handshake until its rekey time.
    _ = link.install(1)
    #expect(!link.wantsHandshake(age: 100, isInitiator: true, sent: 9, now: now, timers: timers))
    #expect(link.wantsHandshake(age: 120, isInitiator: true, sent: 9, now: now, timers: timers))
    #expect(!link.wantsHandshake(age: 150, isInitiator: false, sent: 9, now: now, timers: timers))
  }
}

extension Array where Element == UInt8 {
  /// Whether `needle` occurs in the array.
  fileprivate func contains(subsequence needle: [UInt8]) -> Bool {
    guard needle.count <= count else { return false }
    return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
  }
}
