import MeshCore
import Testing

@Suite struct WireHandshakePayloadTests {
  let sample = HandshakePayload(
    flags: 0, timestamp: 1_700_000_000_123_456_789, nickname: "host-ä",
    endpoints: [
      Endpoint(address: .v4(0xC000_0201), port: 6786),
      Endpoint(address: .v6(0x2001_0DB8_0000_0000, 0x0000_0000_0000_0001), port: 443),
    ])

  @Test func roundTripAndLayout() throws {
    let bytes = try sample.encode()
    #expect(bytes[0] == 1)
    #expect(Array(bytes[2..<10]) == [0x15, 0xCD, 0x85, 0x3D, 0xFE, 0x9C, 0x97, 0x17])
    #expect(0x1797_9CFE_3D85_CD15 == sample.timestamp)
    let nameLength = Int(bytes[10])
    #expect(nameLength == "host-ä".utf8.count)
    let e0 = 11 + nameLength + 1
    #expect(bytes[11 + nameLength] == 2)
    #expect(Array(bytes[e0..<e0 + 7]) == [4, 192, 0, 2, 1, 0x82, 0x1A])
    #expect(try HandshakePayload.decode(bytes) == sample)
  }

  @Test func maximalPayloadFitsTheBound() throws {
    let v6 = Endpoint(address: .v6(UInt64.max, UInt64.max), port: UInt16.max)
    let p = HandshakePayload(
      flags: 0xFF, timestamp: UInt64.max, nickname: String(repeating: "x", count: 64),
      endpoints: Array(repeating: v6, count: 8))
    let bytes = try p.encode()
    #expect(bytes.count == HandshakePayload.maxEncodedLength)
    #expect(HandshakePayload.maxEncodedLength <= WireLimits.maxHandshakePayload)
    #expect(try HandshakePayload.decode(bytes) == p)
  }

  @Test func encodeRejectsOutOfBounds() {
    var p = sample
    p.timestamp = 0
    #expect(wireError { _ = try p.encode() } == .malformed)
    p = sample
    p.nickname = String(repeating: "é", count: 33)
    #expect(wireError { _ = try p.encode() } == .oversized)
    p = sample
    p.endpoints = Array(repeating: sample.endpoints[0], count: 9)
    #expect(wireError { _ = try p.encode() } == .oversized)
  }

  @Test func decodeIsStrict() throws {
    let good = try sample.encode()
    #expect(wireError { _ = try HandshakePayload.decode(good + [0]) } == .malformed)
    for cut in 0..<good.count {
      let e = wireError { _ = try HandshakePayload.decode(Array(good.prefix(cut))) }
      #expect(e == .truncated, "prefix \(cut)")
    }
    var v = good
    v[0] = 2
    #expect(wireError { _ = try HandshakePayload.decode(v) } == .unsupportedVersion(2))
    var ts = good
    for i in 2..<10 { ts[i] = 0 }
    #expect(wireError { _ = try HandshakePayload.decode(ts) } == .malformed)
    var fam = good
    fam[11 + Int(good[10]) + 1] = 5
    #expect(wireError { _ = try HandshakePayload.decode(fam) } == .malformed)
    var count = good
    count[11 + Int(good[10])] = 9
    #expect(wireError { _ = try HandshakePayload.decode(count) } == .oversized)
    let longName = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 65] + [UInt8](repeating: 0x61, count: 65) + [0]
    #expect(wireError { _ = try HandshakePayload.decode(longName) } == .oversized)
    let badUTF8: [UInt8] = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xC3, 0x28, 0]
    #expect(wireError { _ = try HandshakePayload.decode(badUTF8) } == .malformed)
    let tooLong = [UInt8](repeating: 0, count: WireLimits.maxHandshakePayload + 1)
    #expect(wireError { _ = try HandshakePayload.decode(tooLong) } == .oversized)
    let empty: [UInt8] = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    #expect(
      try HandshakePayload.decode(empty)
        == HandshakePayload(timestamp: 1, nickname: "", endpoints: []))
  }
}
