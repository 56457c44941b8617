import CSodium
import MeshTypes

/// The operating system's cryptographically secure random source, through libsodium's
/// `randombytes_buf`. Used for keys and ephemerals in production; tests inject their own
/// `RandomSource` to be repeatable.
public struct SystemRandom: RandomSource, Sendable {
  /// Creates the source (stateless; the kernel holds the state).
  public init() { Sodium.ensureInitialized() }

  /// Fills `buffer` with secure random bytes.
  public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    Sodium.ensureInitialized()
    csodium_randombytes(base, buffer.count)
  }
}
