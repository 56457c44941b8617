import MeshTypes

/// The header of an Ethernet II frame, parsed without allocation.
///
/// Layout: destination MAC (6) · source MAC (6) · ethertype (2, big-endian) · data. A VLAN tag
/// (802.1Q, or an 802.1ad outer tag) sits where the ethertype would be; the switch forwards
/// tagged frames unchanged but may want to know they are tagged.
public struct EthernetHeader: Equatable, Sendable {
  /// The length of an untagged header.
  public static let size = WireLimits.ethernetHeader
  /// The TPID of an 802.1Q VLAN tag.
  public static let vlanTPID: UInt16 = 0x8100
  /// The TPID of an 802.1ad (QinQ) service tag.
  public static let serviceVLANTPID: UInt16 = 0x88A8

  /// The destination address.
  public var destination: MACAddress
  /// The source address.
  public var source: MACAddress
  /// The ethertype (or TPID) field at bytes 12–13, host order.
  public var etherType: UInt16

  /// Whether the frame carries a VLAN tag (802.1Q or 802.1ad).
  public var isVLANTagged: Bool {
    etherType == Self.vlanTPID || etherType == Self.serviceVLANTPID
  }

  /// Creates a header from its fields.
  public init(destination: MACAddress, source: MACAddress, etherType: UInt16) {
    self.destination = destination
    self.source = source
    self.etherType = etherType
  }

  /// Parses the header at the start of `frame`; `.truncated` if shorter than 14 bytes and
  /// `.oversized` if longer than `WireLimits.maxFrame`.
  public static func parse(_ frame: UnsafeRawBufferPointer) throws(WireError) -> Self {
    guard frame.count >= size else { throw .truncated }
    guard frame.count <= WireLimits.maxFrame else { throw .oversized }
    return EthernetHeader(
      destination: MACAddress(reading: frame, at: 0), source: MACAddress(reading: frame, at: 6),
      etherType: frame.be16(at: 12))
  }

  /// Parses the header of the frame occupying `range` of `buffer` (as returned by
  /// `InnerMessage.parse`).
  public static func parse(
    _ buffer: UnsafeRawBufferPointer, range: Range<Int>
  ) throws(WireError) -> Self {
    guard range.lowerBound >= 0, range.upperBound <= buffer.count else { throw .truncated }
    return try parse(UnsafeRawBufferPointer(rebasing: buffer[range]))
  }

  /// Writes the header at the start of `buffer`; returns 14, or `.truncated` if too short.
  @discardableResult
  public func write(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
    guard buffer.count >= Self.size else { throw .truncated }
    for i in 0..<6 {
      let shift = UInt64(40 - 8 * i)
      buffer[i] = UInt8(truncatingIfNeeded: destination.rawValue >> shift)
      buffer[6 + i] = UInt8(truncatingIfNeeded: source.rawValue >> shift)
    }
    buffer.storeBE16(etherType, at: 12)
    return Self.size
  }
}
