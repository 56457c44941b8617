/// A fixed-size buffer of secret bytes that is zeroed when the last reference to it goes away
/// (zeroize-on-drop, like swift-crypto's `SecureBytes`).
///
/// Swift arrays are copy-on-write: zeroing one copy of an array leaves the other copies'
/// buffer, or a buffer dropped without zeroing, to be freed with the secret still in it. This
/// class owns its one buffer instead, allocated once and never resized, and zeroes it with
/// `sodium_memzero` in `deinit`. Values that hold a key (`SymmetricKey`, `PrivateKey`) share
/// one instance when copied, so each key's bytes exist exactly once in memory.
///
/// The bytes are written only while the initializer runs, before the instance is shared, and
/// are read-only afterwards.
package final class SecureBytes: @unchecked Sendable {
  // @unchecked: the buffer is written only inside `init`, before any other thread can see the
  // instance, and only read afterwards; `deinit` runs when no reference is left. So it is
  // immutable shared state, which is safe to read from any thread.

  /// Called by `deinit` with the buffer after it has been zeroed and before it is freed, so
  /// tests can observe the zeroing without reading freed memory.
  typealias ReleaseObserver = @Sendable (UnsafeRawBufferPointer) -> Void

  /// The storage every wiped 32-byte key is left with: all zeros, shared, so `wipe()`
  /// allocates nothing and drops the key's reference to its real bytes.
  static let wiped32 = SecureBytes(zeros: 32)

  /// The number of bytes.
  let count: Int
  /// The start of the buffer: `count` bytes, allocated in `init`, freed in `deinit`.
  private let base: UnsafeMutableRawPointer
  /// The test hook, nil in normal use.
  private let onRelease: ReleaseObserver?

  /// A buffer of `count` bytes, zero-filled and then handed to `body` to write the secret.
  /// When `body` throws, the buffer is zeroed and freed like any other.
  init<E: Error>(
    count: Int, onRelease: ReleaseObserver? = nil,
    initializingWith body: (UnsafeMutableRawBufferPointer) throws(E) -> Void
  ) throws(E) {
    precondition(count > 0, "SecureBytes needs at least one byte")
    self.count = count
    self.base = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
    self.base.initializeMemory(as: UInt8.self, repeating: 0, count: count)
    self.onRelease = onRelease
    try body(UnsafeMutableRawBufferPointer(start: base, count: count))
  }

  /// A copy of `bytes` (the caller remains responsible for zeroing its own buffer).
  convenience init(copying bytes: UnsafeRawBufferPointer, onRelease: ReleaseObserver? = nil) {
    self.init(count: bytes.count, onRelease: onRelease) { $0.copyMemory(from: bytes) }
  }

  /// A copy of the bytes of `array`, which the caller zeroes or owns.
  convenience init(copying array: [UInt8], onRelease: ReleaseObserver? = nil) {
    self.init(count: array.count, onRelease: onRelease) { out in
      array.withUnsafeBytes { out.copyMemory(from: $0) }
    }
  }

  /// `count` zero bytes: the storage a wiped key is left with.
  convenience init(zeros count: Int) {
    self.init(count: count) { _ in }
  }

  deinit {
    Sodium.memzero(UnsafeMutableRawBufferPointer(start: base, count: count))
    onRelease?(UnsafeRawBufferPointer(start: base, count: count))
    base.deallocate()
  }

  /// Calls `body` with the bytes; the pointer must not escape `body`.
  @inline(__always)
  func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(start: base, count: count))
  }

  /// A new array with a copy of the bytes, for the rare callers that need one (key files,
  /// base64); whoever takes it should zero it when done.
  func copyBytes() -> [UInt8] {
    [UInt8](UnsafeRawBufferPointer(start: base, count: count))
  }

  /// Compares the bytes of two buffers in time that depends only on their length.
  func constantTimeEquals(_ other: SecureBytes) -> Bool {
    if self === other { return true }
    return withUnsafeBytes { a in other.withUnsafeBytes { b in Sodium.constantTimeEqual(a, b) } }
  }
}
