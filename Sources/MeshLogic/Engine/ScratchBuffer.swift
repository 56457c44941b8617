/// A fixed block of memory for building and encrypting messages off the caller's buffer
/// (flood copies, keepalives). Allocated once; owned by a class so that the engine can use it
/// while mutating itself. Copies of an engine share it, which is safe because an engine is
/// driven from one thread at a time.
final class ScratchBuffer {
  /// The memory.
  let bytes: UnsafeMutableRawBufferPointer

  /// Allocates `count` zeroed bytes.
  init(count: Int) {
    bytes = .allocate(byteCount: count, alignment: 16)
    bytes.initializeMemory(as: UInt8.self, repeating: 0)
  }

  deinit { bytes.deallocate() }
}
