/// Where the two MAC fields of a handshake message lie, and which bytes each one covers.
///
/// Both handshake messages end with mac1 (16) · mac2 (16). mac1 (keyed with a key derived from
/// the cluster secret) covers every byte before it, `[0, length − 32)`, so non-members are
/// dropped before any Diffie-Hellman. mac2 (keyed with a cookie) covers `[0, length − 16)`,
/// mac1 included. The codecs only frame bytes; the MACs are computed in `Crypto`.
public struct HandshakeMACRanges: Equatable, Sendable {
  /// The bytes mac1 is computed over: `[0, length − 32)`.
  public let mac1Input: Range<Int>
  /// The position of mac1: `[length − 32, length − 16)`.
  public let mac1: Range<Int>
  /// The bytes mac2 is computed over: `[0, length − 16)`.
  public let mac2Input: Range<Int>
  /// The position of mac2: `[length − 16, length)`.
  public let mac2: Range<Int>

  /// The smallest message the ranges make sense for: common header, one index, two MACs.
  public static let minMessageLength = WireMessageType.headerSize + 4 + 2 * WireLimits.macLength

  /// The ranges for a handshake message of `messageLength` bytes; `.truncated` if shorter than
  /// `minMessageLength`.
  public init(messageLength: Int) throws(WireError) {
    guard messageLength >= Self.minMessageLength else { throw .truncated }
    let m = WireLimits.macLength
    mac1Input = 0..<messageLength - 2 * m
    mac1 = messageLength - 2 * m..<messageLength - m
    mac2Input = 0..<messageLength - m
    mac2 = messageLength - m..<messageLength
  }

  /// Writes a 16-byte mac1 into an encoded handshake `message` in place.
  public static func writeMAC1(_ mac: [UInt8], into message: inout [UInt8]) throws(WireError) {
    let r = try HandshakeMACRanges(messageLength: message.count)
    try write(mac, at: r.mac1, into: &message)
  }

  /// Writes a 16-byte mac2 into an encoded handshake `message` in place.
  public static func writeMAC2(_ mac: [UInt8], into message: inout [UInt8]) throws(WireError) {
    let r = try HandshakeMACRanges(messageLength: message.count)
    try write(mac, at: r.mac2, into: &message)
  }

  /// Writes a 16-byte mac1 into a handshake message held in a caller buffer, without
  /// allocating.
  public static func writeMAC1(
    _ mac: UnsafeRawBufferPointer, into message: UnsafeMutableRawBufferPointer
  ) throws(WireError) {
    let r = try HandshakeMACRanges(messageLength: message.count)
    guard mac.count == WireLimits.macLength else { throw .malformed }
    message.copy(mac, to: r.mac1.lowerBound)
  }

  /// Writes a 16-byte mac2 into a handshake message held in a caller buffer, without
  /// allocating.
  public static func writeMAC2(
    _ mac: UnsafeRawBufferPointer, into message: UnsafeMutableRawBufferPointer
  ) throws(WireError) {
    let r = try HandshakeMACRanges(messageLength: message.count)
    guard mac.count == WireLimits.macLength else { throw .malformed }
    message.copy(mac, to: r.mac2.lowerBound)
  }

  private static func write(
    _ mac: [UInt8], at range: Range<Int>, into message: inout [UInt8]
  ) throws(WireError) {
    guard mac.count == WireLimits.macLength else { throw .malformed }
    message.replaceSubrange(range, with: mac)
  }
}
