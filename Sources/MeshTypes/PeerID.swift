/// The short identity of a mesh host: the first 64 bits of BLAKE2b-256 of its static public
/// key, read little-endian. Every host derives the same ID for a key, so IDs order hosts the
/// same way everywhere (route tie-breaks, claim conflicts).
public struct PeerID: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The 64-bit value.
  public let rawValue: UInt64

  /// Wraps a raw 64-bit ID.
  public init(rawValue: UInt64) { self.rawValue = rawValue }

  /// Parses the 16-hex-digit form produced by `description`.
  public init?(_ text: String) {
    guard text.count == 16, let v = UInt64(text, radix: 16) else { return nil }
    self.rawValue = v
  }

  /// Sixteen lower-case hex digits.
  public var description: String {
    let s = String(rawValue, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }

  /// Orders IDs by their numeric value.
  public static func < (a: PeerID, b: PeerID) -> Bool { a.rawValue < b.rawValue }
}
