/// The flow an Ethernet frame belongs to, as a 32-bit key: the same for every frame of one
/// TCP or UDP connection, one ICMP exchange, one pair of hosts for other IP protocols, or one
/// pair of MACs and ether type for everything else.
///
/// The data thread uses it to let a frame of a flow with nothing waiting go ahead of a bulk
/// flow's backlog without ever reordering the frames of one flow (see `TapBacklog`). Two flows
/// whose keys collide are treated as one: they keep their joint order and lose nothing but
/// the head start. The key is not a secret and nothing relies on it being unguessable.
public enum FrameFlow {
  /// The key of the Ethernet `frame` (destination MAC first); frames too short for the header
  /// they announce fall back to the MACs and ether type, so any input gives a key.
  public static func key(of frame: UnsafeRawBufferPointer) -> UInt32 {
    var hash = FNV1a()
    guard frame.count >= EthernetHeader.size else {
      hash.add(frame)
      return hash.value
    }
    var etherType = UInt16(frame[12]) << 8 | UInt16(frame[13])
    var l3 = EthernetHeader.size
    if etherType == 0x8100 || etherType == 0x88A8, frame.count >= l3 + 4 {
      // One VLAN tag: the tag's VLAN ID is part of the flow, the inner type says what follows.
      hash.add(UnsafeRawBufferPointer(rebasing: frame[14..<16]))
      etherType = UInt16(frame[16]) << 8 | UInt16(frame[17])
      l3 += 4
    }
    switch etherType {
    case 0x0800 where frame.count >= l3 + 20:
      return ipv4(frame, at: l3, hash: hash)
    case 0x86DD where frame.count >= l3 + 40:
      return ipv6(frame, at: l3, hash: hash)
    default:
      hash.add(UnsafeRawBufferPointer(rebasing: frame[0..<14]))
      hash.add(etherType)
      return hash.value
    }
  }

  /// Addresses and protocol, and the ports of TCP and UDP; no ports for any fragment, so
  /// that all the fragments of a datagram share its key.
  private static func ipv4(_ frame: UnsafeRawBufferPointer, at l3: Int, hash: FNV1a) -> UInt32 {
    var hash = hash
    let headerLength = Int(frame[l3] & 0x0F) * 4
    let proto = frame[l3 + 9]
    hash.add(UInt16(proto))
    hash.add(UnsafeRawBufferPointer(rebasing: frame[(l3 + 12)..<(l3 + 20)]))
    let fragment = (UInt16(frame[l3 + 6]) << 8 | UInt16(frame[l3 + 7])) & 0x3FFF
    let l4 = l3 + headerLength
    if fragment == 0, headerLength >= 20, proto == 6 || proto == 17, frame.count >= l4 + 4 {
      hash.add(UnsafeRawBufferPointer(rebasing: frame[l4..<(l4 + 4)]))
    }
    return hash.value
  }

  /// Addresses, flow label and next header, and the ports when TCP or UDP follows the fixed
  /// header directly.
  private static func ipv6(_ frame: UnsafeRawBufferPointer, at l3: Int, hash: FNV1a) -> UInt32 {
    var hash = hash
    let next = frame[l3 + 6]
    hash.add(UInt16(next))
    hash.add(UnsafeRawBufferPointer(rebasing: frame[(l3 + 1)..<(l3 + 4)]))
    hash.add(UnsafeRawBufferPointer(rebasing: frame[(l3 + 8)..<(l3 + 40)]))
    let l4 = l3 + 40
    if next == 6 || next == 17, frame.count >= l4 + 4 {
      hash.add(UnsafeRawBufferPointer(rebasing: frame[l4..<(l4 + 4)]))
    }
    return hash.value
  }
}

/// 32-bit FNV-1a: tiny, allocation-free and good enough to tell flows apart.
private struct FNV1a {
  private(set) var value: UInt32 = 0x811C_9DC5

  mutating func add(_ bytes: UnsafeRawBufferPointer) {
    for byte in bytes { add(byte) }
  }

  mutating func add(_ value: UInt16) {
    add(UInt8(truncatingIfNeeded: value >> 8))
    add(UInt8(truncatingIfNeeded: value))
  }

  mutating func add(_ byte: UInt8) {
    value = (value ^ UInt32(byte)) &* 0x0100_0193
  }
}
