import MeshAPI
import MeshCore
import Testing

@Suite struct WireInnerMessageTests {
  /// A minimal Ethernet frame: broadcast ARP from 02:00:00:00:00:01 with `data`.
  func frame(_ data: [UInt8] = [1, 2, 3], etherType: [UInt8] = [0x08, 0x06]) -> [UInt8] {
    [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 1] + etherType + data
  }

  func parse(_ bytes: [UInt8]) throws(WireError) -> InnerMessage {
    try InnerMessage.parse(bytes)
  }

  func write(
    capacity: Int, _ body: (UnsafeMutableRawBufferPointer) throws(WireError) -> Int
  ) throws(WireError) -> [UInt8] {
    var out = [UInt8](repeating: 0xCC, count: capacity)
    let result: Result<Int, WireError> = out.withUnsafeMutableBytes { b in
      Result { () throws(WireError) in try body(b) }
    }
    return Array(out[0..<(try result.get())])
  }

  @Test func keepalive() throws {
    #expect(try parse([0]) == .keepalive)
    #expect(wireError { _ = try parse([0, 0]) } == .malformed)
    #expect(wireError { _ = try parse([]) } == .truncated)
    #expect(wireError { _ = try parse([7]) } == .truncated)  // a piece header cut short
    #expect(wireError { _ = try parse([255]) } == .unknownType(255))
    #expect(
      try write(capacity: 4) { b throws(WireError) in try InnerMessage.writeKeepalive(into: b) }
        == [0])
  }

  @Test func frameMessage() throws {
    let f = frame()
    let bytes = try write(capacity: 64) { b throws(WireError) in
      try f.withUnsafeBytes { fb in
        Result { () throws(WireError) in try InnerMessage.writeFrame(fb, into: b) }
      }.get()
    }
    #expect(bytes == [1] + f)
    let m = try parse(bytes)
    #expect(m == .frame(1..<bytes.count))
    #expect(m.kind == .frame)
    let eth = try raw(bytes) { b throws(WireError) in
      try EthernetHeader.parse(b, range: 1..<bytes.count)
    }
    #expect(eth.destination == .broadcast)
    #expect(eth.source == MACAddress(2, 0, 0, 0, 0, 1))
    #expect(eth.etherType == 0x0806)
    #expect(!eth.isVLANTagged)
    #expect(wireError { _ = try parse([1] + Array(f.prefix(13))) } == .truncated)
    #expect(try parse([1] + Array(f.prefix(14))) == .frame(1..<15))
    let maxFrame = [1] + [UInt8](repeating: 0, count: WireLimits.maxFrame)
    #expect(try parse(maxFrame) == .frame(1..<maxFrame.count))
    #expect(wireError { _ = try parse(maxFrame + [0]) } == .oversized)
  }

  @Test func vlanTaggedFrame() throws {
    let tagged = frame([0, 5, 0x08, 0x00, 0x45], etherType: [0x81, 0x00])
    let eth = try raw(tagged) { b throws(WireError) in try EthernetHeader.parse(b) }
    #expect(eth.isVLANTagged)
    let qinq = try raw(frame(etherType: [0x88, 0xA8])) { b throws(WireError) in
      try EthernetHeader.parse(b)
    }
    #expect(qinq.isVLANTagged)
    var out = [UInt8](repeating: 0, count: 14)
    try out.withUnsafeMutableBytes { b in _ = try eth.write(into: b) }
    #expect(out == Array(tagged.prefix(14)))
  }

  @Test func relayedFrame() throws {
    let header = RelayHeader(
      origin: PeerID(rawValue: 0x1122_3344_5566_7788), destination: RelayHeader.flood, hopLimit: 3)
    let f = frame()
    let bytes = try write(capacity: 128) { b throws(WireError) in
      try f.withUnsafeBytes { fb in
        Result { () throws(WireError) in
          try InnerMessage.writeRelayedFrame(header, frame: fb, into: b)
        }
      }.get()
    }
    #expect(bytes.count == 18 + f.count)
    #expect(Array(bytes[1..<9]) == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
    guard case .relayedFrame(let h, let range) = try parse(bytes) else {
      Issue.record("not a relayed frame")
      return
    }
    #expect(h == header)
    #expect(h.isFlood)
    #expect(Array(bytes[range]) == f)
    var zeroHop = bytes
    zeroHop[17] = 0
    #expect(wireError { _ = try parse(zeroHop) } == .malformed)
    #expect(wireError { _ = try parse(Array(bytes.prefix(17))) } == .truncated)
    #expect(wireError { _ = try parse(Array(bytes.prefix(18 + 13))) } == .truncated)
    let bad = RelayHeader(
      origin: PeerID(rawValue: 1), destination: PeerID(rawValue: 2), hopLimit: 0)
    let e = wireError {
      _ = try write(capacity: 64) { b throws(WireError) in
        try InnerMessage.writeRelayHeader(bad, into: b)
      }
    }
    #expect(e == .malformed)
  }

  @Test func gossip() throws {
    let payload: [UInt8] = Array("hello".utf8)
    let bytes = try write(capacity: 16) { b throws(WireError) in
      try payload.withUnsafeBytes { p in
        Result { () throws(WireError) in try InnerMessage.writeGossip(p, into: b) }
      }.get()
    }
    #expect(try parse(bytes) == .gossip(1..<6))
    #expect(wireError { _ = try parse([3]) } == .truncated)
    let max = [3] + [UInt8](repeating: 7, count: WireLimits.maxGossip)
    #expect(try parse(max) == .gossip(1..<max.count))
    #expect(wireError { _ = try parse(max + [7]) } == .oversized)
    let tooBig = [UInt8](repeating: 0, count: WireLimits.maxGossip + 1)
    let e = wireError {
      _ = try write(capacity: 2000) { b throws(WireError) in
        try tooBig.withUnsafeBytes { p in
          Result { () throws(WireError) in try InnerMessage.writeGossip(p, into: b) }
        }.get()
      }
    }
    #expect(e == .oversized)
  }

  @Test func pathProbe() throws {
    let probe = PathProbe(probeID: 0xCAFE, isReply: true, paddingLength: 100)
    let bytes = try write(capacity: 200) { b throws(WireError) in
      try InnerMessage.writePathProbe(probe, into: b)
    }
    #expect(bytes.count == 106)
    #expect(bytes[106 - 1] == 0)
    #expect(try parse(bytes) == .pathProbe(probe))
    #expect(
      try parse([4, 1, 0, 0, 0, 0])
        == .pathProbe(PathProbe(probeID: 1, isReply: false, paddingLength: 0)))
    #expect(wireError { _ = try parse([4, 1, 0, 0, 0, 2]) } == .malformed)
    #expect(wireError { _ = try parse([4, 1, 0, 0, 0]) } == .truncated)
    let e = wireError {
      _ = try write(capacity: 10) { b throws(WireError) in
        try InnerMessage.writePathProbe(probe, into: b)
      }
    }
    #expect(e == .truncated)
  }

  @Test func writersRejectShortBuffers() {
    let f = [UInt8](repeating: 0, count: 20)
    let e = wireError {
      _ = try write(capacity: 20) { b throws(WireError) in
        try f.withUnsafeBytes { fb in
          Result { () throws(WireError) in try InnerMessage.writeFrame(fb, into: b) }
        }.get()
      }
    }
    #expect(e == .truncated)
    #expect(
      wireError {
        _ = try write(capacity: 0) { b throws(WireError) in try InnerMessage.writeKeepalive(into: b)
        }
      } == .truncated)
  }

  @Test func headerLengths() {
    #expect(InnerKind.frame.headerLength == 1)
    #expect(InnerKind.relayedFrame.headerLength == 18)
    #expect(InnerKind.pathProbe.headerLength == 6)
    // Overhead budget of an Ethernet frame over IPv4: IP 20 + UDP 8 + transport 16 + kind 1 + tag 16.
    #expect(
      20 + 8 + TransportHeader.size + InnerKind.frame.headerLength + WireLimits.aeadTag <= 80 - 14)
  }
}
