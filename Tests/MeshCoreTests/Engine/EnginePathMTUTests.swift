import MeshCore
import Testing

@Suite("Engine: path MTU per peer, pieces")
struct EnginePathMTUTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let macA = MACAddress(0x02, 0, 0, 0, 0, 0xA)
  let macB = MACAddress(0x02, 0, 0, 0, 0, 0xB)

  /// A (underlay 1500) and B, whose link takes datagrams of at most 1372 bytes (a 1400-byte
  /// underlay), up and measured, with each other's MACs learned.
  func mismatchedPair() -> (Network, Endpoint, Endpoint) {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret) { $0.underlayMTU = 1400 }
    net.linkLimit[b] = 1372
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(8)
    net.sendFrame(from: a, ethernetFrame(dst: .broadcast, src: macA))
    net.sendFrame(from: b, ethernetFrame(dst: .broadcast, src: macB))
    return (net, a, b)
  }

  @Test func eachSideMeasuresItsOwnDirection() {
    let (net, a, b) = mismatchedPair()
    #expect(net.established(a, b) && net.established(b, a))
    let towardsB = net.status(a).peers.first { $0.endpoint == b }?.pathMTU
    let towardsA = net.status(b).peers.first { $0.endpoint == a }?.pathMTU
    #expect(towardsB.map { $0 > 1384 && $0 <= 1400 } == true, "\(String(describing: towardsB))")
    #expect(towardsA == 1400)  // fragments cross towards the larger link: B's own MTU
  }

  @Test func largeFramesCrossASmallerLinkInPieces() {
    var (net, a, b) = mismatchedPair()
    let payload = (0..<9000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let frame = ethernetFrame(dst: macB, src: macA, payload: payload)
    net.wire.removeAll()
    net.sendFrame(from: a, frame)
    #expect(net.outputs[b]!.delivered.last == frame)
    let sent = net.wire.filter { $0.from == a && $0.to == b }
    #expect(sent.count == 7, "9014 bytes in pieces of at most 1372")
    #expect(sent.allSatisfy { $0.bytes.count <= 1372 })
    // The other way, fragments cross: the same frame goes whole.
    net.wire.removeAll()
    let back = ethernetFrame(dst: macA, src: macB, payload: payload)
    net.sendFrame(from: b, back)
    #expect(net.outputs[a]!.delivered.last == back)
    #expect(net.wire.filter { $0.from == b && $0.to == a }.count == 1)
    #expect(net.status(b).drops.total == 0 && net.status(a).drops.total == 0)
  }

  @Test func framesThatFitGoWholeAndPiecesTakeTheirOwnCounters() {
    var (net, a, b) = mismatchedPair()
    net.wire.removeAll()
    let small = ethernetFrame(dst: macB, src: macA, payload: [UInt8](repeating: 1, count: 1200))
    net.sendFrame(from: a, small)
    #expect(net.wire.count == 1 && net.outputs[b]!.delivered.last == small)
    let before = net.status(a).peers.first { $0.endpoint == b }!.txFrames
    net.sendFrame(
      from: a, ethernetFrame(dst: macB, src: macA, payload: [UInt8](repeating: 2, count: 4000)))
    #expect(net.status(a).peers.first { $0.endpoint == b }!.txFrames == before + 1)
    #expect(net.status(b).peers.first { $0.endpoint == a }!.rxFrames >= 2)
  }

  @Test func beforeTheFirstAnswerOnlyTheFloorGoesWhole() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    // Probe answers are lost for now: the handshake is small enough to pass.
    net.linkLimit[b] = 200
    net.linkLimit[a] = 200
    net.advance(2)
    #expect(net.established(a, b))
    net.linkLimit = [:]
    net.sendFrame(from: b, ethernetFrame(dst: .broadcast, src: macB))
    net.wire.removeAll()
    let frame = ethernetFrame(dst: macB, src: macA, payload: [UInt8](repeating: 3, count: 3000))
    net.sendFrame(from: a, frame)
    #expect(net.outputs[b]!.delivered.last == frame)
    #expect(net.wire.allSatisfy { $0.bytes.count <= 548 })
    // Once the probes are answered, the fast path: one datagram per frame.
    net.advance(2)
    net.wire.removeAll()
    net.sendFrame(from: a, frame)
    #expect(net.wire.count == 1)
  }

  @Test func aPeerBackUpAfterGoingDownIsMeasuredAfresh() {
    var (net, a, b) = mismatchedPair()
    let before = net.status(a).peers.first { $0.endpoint == b }?.pathMTU
    #expect(before.map { $0 < 1400 } == true)
    // B's link goes away, and comes back larger: well before the next check is due.
    net.cut = [b]
    net.advance(30)
    #expect(!net.established(a, b))
    net.cut = []
    net.linkLimit = [:]
    net.advance(30)
    #expect(net.established(a, b))
    #expect(net.status(a).peers.first { $0.endpoint == b }?.pathMTU == 1500)
  }

  @Test func aForgedPieceIsCountedNotDelivered() {
    var (net, a, b) = mismatchedPair()
    // A message in two pieces whose first piece is replayed with another length.
    let frame = ethernetFrame(dst: macB, src: macA, payload: [UInt8](repeating: 4, count: 2000))
    net.wire.removeAll()
    net.outputs[b]!.delivered.removeAll()
    // Hold A's datagrams back to replay the first twice.
    net.sendFrame(from: a, frame)
    let pieces = net.wire.filter { $0.from == a && $0.to == b }
    #expect(pieces.count == 2)
    var copy = pieces[0].bytes
    let before = net.status(b).drops[.replay]
    copy.withUnsafeMutableBytes {
      net.hosts[b]!.receive($0, from: a, now: net.clock.now(), out: &net.outputs[b]!)
    }
    // A datagram seen already is a replay; the message was delivered once.
    #expect(net.status(b).drops[.replay] == before + 1)
    #expect(net.outputs[b]!.delivered.count == 1)
  }
}
