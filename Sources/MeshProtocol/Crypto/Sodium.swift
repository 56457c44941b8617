import CSodium

/// Process-wide libsodium set-up and the few memory helpers that every crypto type shares.
///
/// libsodium must be initialised once before use; `sodium_init()` is idempotent, and the
/// `static let` below runs it exactly once, thread-safely, on first use.
public enum Sodium {
  /// The result of the one `sodium_init()` call: 0 first time, 1 if already done, -1 on failure.
  private static let initResult: Int32 = sodium_init()

  /// Makes sure libsodium is initialised; every wrapper in `Crypto` calls this first.
  ///
  /// Failure means the process cannot get secure randomness (no `/dev/urandom`, no
  /// `getrandom`), and nothing secure can follow, so it stops the process.
  @inline(__always)
  public static func ensureInitialized() {
    precondition(initResult >= 0, "sodium_init() failed: no secure random source")
  }

  /// Zeroes `buffer` with `sodium_memzero`, which the compiler cannot optimise away, so secret
  /// key material does not linger in memory.
  public static func memzero(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    csodium_memzero(base, buffer.count)
  }

  /// Zeroes every byte of `bytes` in place (the array keeps its length), for wiping secrets.
  public static func memzero(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { memzero($0) }
  }

  /// Compares two byte strings in time that depends only on their length, so comparing a
  /// secret or a MAC does not leak where the first difference is.
  public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in constantTimeEqual(pa, pb) } }
  }

  /// `constantTimeEqual` on raw buffers, e.g. two keys' storage, with no copy into arrays.
  public static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer)
    -> Bool
  {
    guard a.count == b.count else { return false }
    guard let pa = a.baseAddress, let pb = b.baseAddress, a.count > 0 else { return true }
    return csodium_memcmp(pa, pb, a.count) == 0
  }
}
