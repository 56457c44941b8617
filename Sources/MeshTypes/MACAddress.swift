/// A 48-bit IEEE 802 MAC address, stored in a single integer so that it is cheap to
/// hash, compare and copy on the per-frame path.
public struct MACAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The address in the low 48 bits, first octet most significant.
  public let rawValue: UInt64

  /// The broadcast address ff:ff:ff:ff:ff:ff.
  public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)

  /// Creates an address from its 48-bit value; higher bits are discarded.
  public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

  /// Creates an address from six octets, first octet first.
  public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
    self.rawValue =
      UInt64(b0) << 40 | UInt64(b1) << 32 | UInt64(b2) << 24 | UInt64(b3) << 16
      | UInt64(b4) << 8 | UInt64(b5)
  }

  /// Reads six octets at `offset` of `bytes`; the caller guarantees the range is valid.
  @inlinable
  public init(reading bytes: UnsafeRawBufferPointer, at offset: Int) {
    var v: UInt64 = 0
    for i in 0..<6 { v = v << 8 | UInt64(bytes[offset + i]) }
    self.rawValue = v
  }

  /// Parses the colon-separated form, such as `02:42:ac:11:00:02`.
  public init?(_ text: String) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6 else { return nil }
    var v: UInt64 = 0
    for p in parts {
      guard p.count == 2, let b = UInt8(p, radix: 16) else { return nil }
      v = v << 8 | UInt64(b)
    }
    self.rawValue = v
  }

  /// The six octets, first octet first.
  public var octets: [UInt8] {
    (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (40 - 8 * $0)) }
  }

  /// True for group (broadcast and multicast) addresses: the I/G bit of the first octet.
  @inlinable public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }

  /// True for the IEEE 802.1D link-local control range 01:80:c2:00:00:00 to ..:0f, which a
  /// bridge must never forward (STP, LACP, 802.1X).
  @inlinable public var isLinkLocalControl: Bool { rawValue & ~0xF == 0x0180_C200_0000 }

  /// The colon-separated lower-case form.
  public var description: String {
    octets.map { b in
      let s = String(b, radix: 16)
      return s.count == 1 ? "0" + s : s
    }.joined(separator: ":")
  }

  /// Orders addresses by their numeric value.
  public static func < (a: MACAddress, b: MACAddress) -> Bool { a.rawValue < b.rawValue }
}
