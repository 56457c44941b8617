/// The Internet checksum (RFC 1071) pieces the offload code needs: a one's-complement sum of
/// big-endian 16-bit words, and its fold to 16 bits.
enum Checksum {
  /// Sums `bytes` as big-endian 16-bit words (an odd last byte is padded with zero). Add
  /// sums of several pieces before folding.
  static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var total: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count {
      total &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
      i += 2
    }
    if i < bytes.count { total &+= UInt32(bytes[i]) << 8 }
    return total
  }

  /// Folds a sum to 16 bits, carries included. The header checksum is its complement.
  static func fold(_ sum: UInt32) -> UInt16 {
    var s = sum
    while s > 0xFFFF { s = (s & 0xFFFF) &+ (s >> 16) }
    return UInt16(s)
  }
}
