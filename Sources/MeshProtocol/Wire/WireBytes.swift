/// Little-endian and big-endian loads and stores on raw buffers, without alignment
/// requirements and without allocation. Callers check bounds before calling.
extension UnsafeRawBufferPointer {
  @inline(__always)
  func le16(at offset: Int) -> UInt16 {
    UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
  }

  @inline(__always)
  func be16(at offset: Int) -> UInt16 {
    UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
  }

  @inline(__always)
  func le32(at offset: Int) -> UInt32 {
    UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }

  @inline(__always)
  func be32(at offset: Int) -> UInt32 {
    UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }

  @inline(__always)
  func le64(at offset: Int) -> UInt64 {
    UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }

  @inline(__always)
  func be64(at offset: Int) -> UInt64 {
    UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }

  /// A copy of `count` bytes at `offset` (handshake decoding only, never per packet).
  func bytes(at offset: Int, count: Int) -> [UInt8] {
    Array(self[offset..<offset + count])
  }
}

extension UnsafeMutableRawBufferPointer {
  @inline(__always)
  func storeBE16(_ value: UInt16, at offset: Int) {
    storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
  }

  @inline(__always)
  func storeLE16(_ value: UInt16, at offset: Int) {
    storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self)
  }

  @inline(__always)
  func storeLE32(_ value: UInt32, at offset: Int) {
    storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
  }

  @inline(__always)
  func storeLE64(_ value: UInt64, at offset: Int) {
    storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
  }

  /// Copies `source` to `offset`; the caller has checked that it fits.
  @inline(__always)
  func copy(_ source: UnsafeRawBufferPointer, to offset: Int) {
    guard !source.isEmpty else { return }
    UnsafeMutableRawBufferPointer(rebasing: self[offset..<offset + source.count])
      .copyMemory(from: source)
  }
}

/// Appends little-endian integers to a byte array (handshake encoding only).
extension Array where Element == UInt8 {
  mutating func appendLE32(_ value: UInt32) {
    for i in 0..<4 { append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
  }

  package mutating func appendLE64(_ value: UInt64) {
    for i in 0..<8 { append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
  }

  package mutating func appendLE16(_ value: UInt16) {
    for i in 0..<2 { append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
  }
}
