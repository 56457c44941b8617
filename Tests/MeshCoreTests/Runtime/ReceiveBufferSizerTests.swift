import Testing

@testable import MeshCore

/// A peer socket's receive buffer follows its traffic: small while it carries bulk datagrams
/// (so a small packet waits behind little), large while it carries small ones (so a burst
/// rides out a moment without the data thread).
@Suite("Runtime: receive buffer sizing")
struct ReceiveBufferSizerTests {
  @Test("bulk datagrams shrink the buffer once; small ones bring it back once")
  func followsTheTraffic() {
    var sizer = ReceiveBufferSizer()
    #expect(sizer.bytes == ReceiveBufferSizer.packetBytes)
    var changes: [Int] = []
    for _ in 0..<40 {
      if let b = sizer.note(averageDatagram: 65_000) { changes.append(b) }
    }
    #expect(changes == [ReceiveBufferSizer.bulkBytes], "one change, to the bulk buffer")
    changes = []
    for _ in 0..<40 {
      if let b = sizer.note(averageDatagram: 120) { changes.append(b) }
    }
    #expect(changes == [ReceiveBufferSizer.packetBytes], "one change back")
  }

  @Test("one odd batch does not flip it, and sizes between the thresholds keep it")
  func hysteresis() {
    var sizer = ReceiveBufferSizer()
    for _ in 0..<40 { _ = sizer.note(averageDatagram: 65_000) }
    #expect(sizer.note(averageDatagram: 100) == nil, "one batch of small datagrams")
    #expect(sizer.bytes == ReceiveBufferSizer.bulkBytes)
    var between = ReceiveBufferSizer()
    for _ in 0..<40 { #expect(between.note(averageDatagram: 8 << 10) == nil) }
    #expect(between.bytes == ReceiveBufferSizer.packetBytes)
  }

  @Test("the loop resizes the peer's own socket, and a new socket starts afresh")
  func peerSocketResized() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let own = try #require(
      mesh.underlay.sockets(at: b.endpoint).first { $0.remote == a.endpoint })
    let token = PeerSockets<FakeSocketFactory>.firstToken
    for _ in 0..<40 { b.loop.peerSockets.noteBatch(token: token, averageDatagram: 65_000) }
    #expect(own.receiveBuffers == [ReceiveBufferSizer.bulkBytes])
    #expect(b.loop.peerSockets.carriesBulk(token: token), "served after the TAP")
    for _ in 0..<40 { b.loop.peerSockets.noteBatch(token: token, averageDatagram: 100) }
    #expect(own.receiveBuffers == [ReceiveBufferSizer.bulkBytes, ReceiveBufferSizer.packetBytes])
    #expect(!b.loop.peerSockets.carriesBulk(token: token), "served before the TAP again")
    #expect(mesh.underlay.sockets(at: b.endpoint).first?.receiveBuffers == [], "main socket kept")
  }
}
