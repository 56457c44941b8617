import MeshProtocol
import MeshTypes

/// A bounds-checked cursor over received bytes for the gossip decoders: every read checks the
/// remaining length first and throws `WireError.truncated` instead of trapping.
struct ByteReader {
  let bytes: [UInt8]
  private(set) var offset: Int

  /// Starts reading `bytes` at `offset`.
  init(_ bytes: [UInt8], offset: Int = 0) {
    self.bytes = bytes
    self.offset = offset
  }

  /// Bytes not read yet.
  var remaining: Int { bytes.count - offset }

  /// One byte.
  mutating func u8() throws(WireError) -> UInt8 {
    guard remaining >= 1 else { throw .truncated }
    defer { offset += 1 }
    return bytes[offset]
  }

  /// A little-endian 16-bit value.
  mutating func le16() throws(WireError) -> UInt16 {
    guard remaining >= 2 else { throw .truncated }
    defer { offset += 2 }
    return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
  }

  /// A big-endian 32-bit value.
  mutating func be32() throws(WireError) -> UInt32 {
    guard remaining >= 4 else { throw .truncated }
    var value: UInt32 = 0
    for index in 0..<4 { value = value << 8 | UInt32(bytes[offset + index]) }
    offset += 4
    return value
  }

  /// A big-endian 64-bit value.
  mutating func be64() throws(WireError) -> UInt64 {
    guard remaining >= 8 else { throw .truncated }
    var value: UInt64 = 0
    for index in 0..<8 { value = value << 8 | UInt64(bytes[offset + index]) }
    offset += 8
    return value
  }

  /// A little-endian 64-bit value.
  mutating func le64() throws(WireError) -> UInt64 {
    guard remaining >= 8 else { throw .truncated }
    let at = offset
    offset += 8
    return bytes.withUnsafeBytes {
      UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
  }

  /// `count` bytes, copied.
  mutating func take(_ count: Int) throws(WireError) -> [UInt8] {
    guard count >= 0, remaining >= count else { throw .truncated }
    defer { offset += count }
    return Array(bytes[offset..<offset + count])
  }

  /// An underlay endpoint as `appendEndpoint` writes it; `.malformed` for an unknown family.
  mutating func endpoint() throws(WireError) -> Endpoint {
    let address: Endpoint.Address
    switch try u8() {
    case HandshakePayload.familyV4: address = .v4(try be32())
    case HandshakePayload.familyV6: address = .v6(try be64(), try be64())
    default: throw .malformed
    }
    return Endpoint(address: address, port: try le16())
  }

  /// Throws `.malformed` unless every byte was read: decoders are strict about trailing bytes.
  func finish() throws(WireError) {
    guard remaining == 0 else { throw .malformed }
  }
}

extension Array where Element == UInt8 {
  /// Appends a little-endian 64-bit value in one copy (record encoding is the hot path of a
  /// large mesh's gossip).
  mutating func appendWordLE(_ value: UInt64) {
    Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
  }

  /// Appends an underlay endpoint: family (1: 4 or 6) · address (big-endian) · port (LE16),
  /// the form records and key alerts carry.
  mutating func appendEndpoint(_ endpoint: Endpoint) {
    switch endpoint.address {
    case .v4(let address):
      append(HandshakePayload.familyV4)
      appendBE32(address)
    case .v6(let high, let low):
      append(HandshakePayload.familyV6)
      appendBE64(high)
      appendBE64(low)
    }
    appendLE16(endpoint.port)
  }

  /// Appends a big-endian 32-bit value.
  mutating func appendBE32(_ value: UInt32) {
    for shift in stride(from: 24, through: 0, by: -8) {
      append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
    }
  }

  /// Appends a big-endian 64-bit value.
  mutating func appendBE64(_ value: UInt64) {
    for shift in stride(from: 56, through: 0, by: -8) {
      append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
    }
  }
}
