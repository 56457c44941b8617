/// The kernel's `struct virtio_net_hdr` (10 bytes, little-endian), which a TAP opened with
/// IFF_VNET_HDR puts before every frame. It says whether the frame's checksum still has to be
/// completed and whether the frame is a large TCP segment to be cut into MTU-sized ones. meshd
/// carries it unchanged inside offloaded-frame messages, so the receiving kernel finishes the
/// work the sending kernel skipped.
public struct VirtioNetHeader: Equatable, Sendable {
  /// The encoded size.
  public static let size = 10
  /// `flags`: the checksum from `checksumStart` on must be completed.
  public static let needsChecksum: UInt8 = 1
  /// `flags`: the checksum is already known to be good.
  public static let dataValid: UInt8 = 2
  /// `gsoType`: not a large segment.
  public static let gsoNone: UInt8 = 0
  /// `gsoType`: TCP over IPv4.
  public static let gsoTCPv4: UInt8 = 1
  /// `gsoType`: UDP (fragmentation offload).
  public static let gsoUDP: UInt8 = 3
  /// `gsoType`: TCP over IPv6.
  public static let gsoTCPv6: UInt8 = 4
  /// `gsoType`: UDP segmentation (USO): datagrams of `gsoSize` payload bytes each.
  public static let gsoUDPL4: UInt8 = 5
  /// `gsoType` bit: the segments carry ECN.
  public static let gsoECN: UInt8 = 0x80

  /// Checksum flags.
  public var flags: UInt8
  /// The segmentation type.
  public var gsoType: UInt8
  /// Length of the headers to repeat in each segment.
  public var headerLength: UInt16
  /// Payload bytes per segment.
  public var gsoSize: UInt16
  /// Where checksumming starts.
  public var checksumStart: UInt16
  /// Where, from `checksumStart`, the checksum goes.
  public var checksumOffset: UInt16

  /// A header that asks nothing of the receiver.
  public static let plain = VirtioNetHeader(
    flags: 0, gsoType: 0, headerLength: 0, gsoSize: 0, checksumStart: 0, checksumOffset: 0)

  /// Creates a header from its fields.
  public init(
    flags: UInt8, gsoType: UInt8, headerLength: UInt16, gsoSize: UInt16, checksumStart: UInt16,
    checksumOffset: UInt16
  ) {
    self.flags = flags
    self.gsoType = gsoType
    self.headerLength = headerLength
    self.gsoSize = gsoSize
    self.checksumStart = checksumStart
    self.checksumOffset = checksumOffset
  }

  /// True when the frame needs nothing from the receiver and can travel as a plain frame.
  public var isPlain: Bool { flags & VirtioNetHeader.needsChecksum == 0 && gsoType == 0 }

  /// Reads a header at the start of `bytes`; nil when too short.
  public static func read(_ bytes: UnsafeRawBufferPointer) -> VirtioNetHeader? {
    guard bytes.count >= size else { return nil }
    func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
    return VirtioNetHeader(
      flags: bytes[0], gsoType: bytes[1], headerLength: u16(2), gsoSize: u16(4),
      checksumStart: u16(6), checksumOffset: u16(8))
  }

  /// Writes the header at the start of `buffer` (at least `size` bytes).
  public func write(into buffer: UnsafeMutableRawBufferPointer) {
    precondition(buffer.count >= VirtioNetHeader.size)
    buffer[0] = flags
    buffer[1] = gsoType
    func put(_ v: UInt16, at i: Int) {
      buffer[i] = UInt8(truncatingIfNeeded: v)
      buffer[i + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }
    put(headerLength, at: 2)
    put(gsoSize, at: 4)
    put(checksumStart, at: 6)
    put(checksumOffset, at: 8)
  }

  /// Checks the header against the frame it describes, so a peer cannot hand our kernel a
  /// header that points outside the frame. The kernel checks again.
  public func isConsistent(frameLength: Int) -> Bool {
    let type = gsoType & ~VirtioNetHeader.gsoECN
    switch type {
    case Self.gsoNone, Self.gsoTCPv4, Self.gsoTCPv6, Self.gsoUDP: break
    default: return false
    }
    if flags & Self.needsChecksum != 0 {
      guard Int(checksumStart) + Int(checksumOffset) + 2 <= frameLength else { return false }
    }
    if type != Self.gsoNone {
      guard gsoSize > 0, Int(headerLength) <= frameLength else { return false }
    }
    return flags & ~(Self.needsChecksum | Self.dataValid) == 0
  }
}
