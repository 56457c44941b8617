import MeshAPI
import MeshCore
import Testing

/// Calls `body` on the bytes of `array` as a raw buffer.
func raw<R, E: Error>(
  _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R
) throws(E) -> R {
  let result: Result<R, E> = array.withUnsafeBytes { b in Result { () throws(E) in try body(b) } }
  return try result.get()
}

/// The error `body` throws, or nil.
func wireError(_ body: () throws -> Void) -> WireError? {
  do {
    try body()
    return nil
  } catch let error as WireError {
    return error
  } catch {
    Issue.record("unexpected error \(error)")
    return nil
  }
}

@Suite struct WireCodecTests {
  let noise = (0..<WireLimits.minHandshakeNoise + 40).map { UInt8(truncatingIfNeeded: $0 &* 7) }

  @Test func constants() {
    #expect(WireLimits.minHandshakeNoise == 96)
    #expect(WireLimits.maxHandshakeNoise == 608)
    #expect(WireLimits.maxDatagram == 65_507)
    #expect(TransportHeader.size == 16)
    #expect(CookieReply.length == 64)
    #expect(WireLimits.minTransport == 33)
  }

  @Test func peekValidatesCommonHeader() throws {
    #expect(try WireMessageType.peek([4, 0, 0, 0]) == .transport)
    #expect(try WireMessageType.peek([1, 0, 0, 0, 9]) == .handshakeInitiation)
    #expect(wireError { _ = try WireMessageType.peek([]) } == .truncated)
    #expect(wireError { _ = try WireMessageType.peek([1, 0, 0]) } == .truncated)
    #expect(wireError { _ = try WireMessageType.peek([0, 0, 0, 0]) } == .unknownType(0))
    #expect(wireError { _ = try WireMessageType.peek([6, 0, 0, 0]) } == .unknownType(6))
    #expect(wireError { _ = try WireMessageType.peek([2, 0, 1, 0]) } == .badReserved)
    #expect(wireError { _ = try WireMessageType.peek([2, 0, 0, 0x80]) } == .badReserved)
  }

  @Test func initiationRoundTrip() throws {
    let mac1 = [UInt8](repeating: 0xA1, count: 16)
    let mac2 = [UInt8](repeating: 0xB2, count: 16)
    let m = HandshakeInitiation(senderIndex: 0xDEAD_BEEF, noise: noise, mac1: mac1, mac2: mac2)
    let bytes = try m.encode()
    #expect(bytes.count == 8 + noise.count + 32)
    #expect(Array(bytes[0..<8]) == [1, 0, 0, 0, 0xEF, 0xBE, 0xAD, 0xDE])
    #expect(try HandshakeInitiation.decode(bytes) == m)
    #expect(try WireMessageType.peek(bytes) == .handshakeInitiation)
  }

  @Test func initiationBounds() throws {
    let minimal = try HandshakeInitiation(
      senderIndex: 1, noise: [UInt8](repeating: 1, count: 96)
    ).encode()
    #expect(minimal.count == HandshakeInitiation.minLength)
    #expect(try HandshakeInitiation.decode(minimal).noise.count == 96)
    #expect(
      wireError { _ = try HandshakeInitiation.decode(Array(minimal.dropLast())) } == .truncated)
    let maximal = try HandshakeInitiation(
      senderIndex: 1, noise: [UInt8](repeating: 1, count: 608)
    ).encode()
    #expect(maximal.count == HandshakeInitiation.maxLength)
    #expect(try HandshakeInitiation.decode(maximal).noise.count == 608)
    #expect(wireError { _ = try HandshakeInitiation.decode(maximal + [0]) } == .oversized)
    #expect(
      wireError { _ = try HandshakeInitiation(senderIndex: 1, noise: [1]).encode() } == .truncated)
    let big = [UInt8](repeating: 0, count: 609)
    #expect(
      wireError { _ = try HandshakeInitiation(senderIndex: 1, noise: big).encode() } == .oversized)
    let badMAC = HandshakeInitiation(senderIndex: 1, noise: noise, mac1: [1, 2])
    #expect(wireError { _ = try badMAC.encode() } == .malformed)
    // A response is not an initiation.
    let response = try HandshakeResponse(senderIndex: 1, receiverIndex: 2, noise: noise).encode()
    #expect(wireError { _ = try HandshakeInitiation.decode(response) } == .unexpectedType(2))
    var reserved = minimal
    reserved[2] = 1
    #expect(wireError { _ = try HandshakeInitiation.decode(reserved) } == .badReserved)
  }

  @Test func responseRoundTripAndBounds() throws {
    let m = HandshakeResponse(senderIndex: 7, receiverIndex: 0x0102_0304, noise: noise)
    let bytes = try m.encode()
    #expect(Array(bytes[0..<12]) == [2, 0, 0, 0, 7, 0, 0, 0, 4, 3, 2, 1])
    #expect(try HandshakeResponse.decode(bytes) == m)
    let minimal = try HandshakeResponse(
      senderIndex: 1, receiverIndex: 2, noise: [UInt8](repeating: 0, count: 96)
    ).encode()
    #expect(minimal.count == HandshakeResponse.minLength)
    #expect(wireError { _ = try HandshakeResponse.decode(Array(minimal.dropLast())) } == .truncated)
    let maximal = try HandshakeResponse(
      senderIndex: 1, receiverIndex: 2, noise: [UInt8](repeating: 0, count: 608)
    ).encode()
    #expect(try HandshakeResponse.decode(maximal).noise.count == 608)
    #expect(wireError { _ = try HandshakeResponse.decode(maximal + [0]) } == .oversized)
  }

  @Test func macRangesAndInPlaceWrites() throws {
    var bytes = try HandshakeInitiation(senderIndex: 3, noise: noise).encode()
    let n = bytes.count
    let r = try HandshakeMACRanges(messageLength: n)
    #expect(r.mac1Input == 0..<n - 32)
    #expect(r.mac1 == n - 32..<n - 16)
    #expect(r.mac2Input == 0..<n - 16)
    #expect(r.mac2 == n - 16..<n)
    try HandshakeMACRanges.writeMAC1([UInt8](repeating: 0x11, count: 16), into: &bytes)
    try HandshakeMACRanges.writeMAC2([UInt8](repeating: 0x22, count: 16), into: &bytes)
    let decoded = try HandshakeInitiation.decode(bytes)
    #expect(decoded.mac1 == [UInt8](repeating: 0x11, count: 16))
    #expect(decoded.mac2 == [UInt8](repeating: 0x22, count: 16))
    #expect(decoded.noise == noise)
    let mac = [UInt8](repeating: 0x33, count: 16)
    try bytes.withUnsafeMutableBytes { buf in
      try mac.withUnsafeBytes { m in try HandshakeMACRanges.writeMAC2(m, into: buf) }
    }
    #expect(Array(bytes[r.mac2]) == mac)
    #expect(
      wireError {
        var x = bytes; try HandshakeMACRanges.writeMAC1([1], into: &x)
      } == .malformed)
    #expect(wireError { _ = try HandshakeMACRanges(messageLength: 39) } == .truncated)
  }

  @Test func cookieReplyExactLength() throws {
    let c = CookieReply(
      receiverIndex: 42, nonce: [UInt8](repeating: 9, count: 24),
      encryptedCookie: [UInt8](repeating: 8, count: 32))
    let bytes = try c.encode()
    #expect(bytes.count == 64)
    #expect(try CookieReply.decode(bytes) == c)
    #expect(wireError { _ = try CookieReply.decode(Array(bytes.dropLast())) } == .truncated)
    #expect(wireError { _ = try CookieReply.decode(bytes + [0]) } == .oversized)
    let bad = CookieReply(receiverIndex: 1, nonce: [1], encryptedCookie: [])
    #expect(wireError { _ = try bad.encode() } == .malformed)
  }

  @Test func transportHeaderParseAndWrite() throws {
    var datagram = [UInt8](repeating: 0xEE, count: 16 + 1 + 16)
    try datagram.withUnsafeMutableBytes { buf in
      let n = try TransportHeader.write(
        receiverIndex: 0xAABB_CCDD, counter: 0x0102_0304_0506_0708, into: buf)
      #expect(n == 16)
    }
    #expect(
      Array(datagram[0..<16]) == [4, 0, 0, 0, 0xDD, 0xCC, 0xBB, 0xAA, 8, 7, 6, 5, 4, 3, 2, 1])
    let h = try raw(datagram) { try TransportHeader.parse($0) }
    #expect(h.receiverIndex == 0xAABB_CCDD)
    #expect(h.counter == 0x0102_0304_0506_0708)
    #expect(h.ciphertextOffset == 16)
    #expect(h.ciphertextLength == 17)
    #expect(h.plaintextLength == 1)
    #expect(h.ciphertextRange == 16..<33)
    let short = Array(datagram.dropLast())
    #expect(wireError { _ = try raw(short) { try TransportHeader.parse($0) } } == .truncated)
    var big = [UInt8](repeating: 0, count: WireLimits.maxDatagram + 1)
    big[0] = 4
    #expect(wireError { _ = try raw(big) { try TransportHeader.parse($0) } } == .oversized)
    big.removeLast()
    #expect(try raw(big) { try TransportHeader.parse($0) }.ciphertextLength == 65_491)
    let tiny = [UInt8](repeating: 0, count: 8)
    let e = wireError {
      var t = tiny
      try t.withUnsafeMutableBytes { b in
        _ = try TransportHeader.write(receiverIndex: 1, counter: 1, into: b)
      }
    }
    #expect(e == .truncated)
  }
}
