import MeshTypes

/// A 256-bit symmetric key: a session (transport) key, a Noise cipher key, or the cluster
/// secret. Its `description` never shows the key.
///
/// The bytes live in one zeroize-on-drop buffer (`SecureBytes`) that copies of the value
/// share, so there is exactly one copy of the key in memory, zeroed when the last value
/// holding it goes away. `wipe()` makes this value unusable at once.
public struct SymmetricKey: Sendable, Equatable, CustomStringConvertible {
  /// The key length in bytes.
  public static let length = 32

  /// The shared, immutable buffer of the 32 key bytes.
  private(set) var storage: SecureBytes

  /// A copy of the raw key bytes, for the rare caller that needs an array. Treat as secret
  /// and zero it (`Sodium.memzero`) when done; prefer `withUnsafeBytes`.
  public var bytes: [UInt8] { storage.copyBytes() }

  /// Wraps 32 raw bytes (copying them; the caller zeroes its array); throws `invalidLength`
  /// for any other count.
  public init(bytes: [UInt8]) throws(CryptoError) {
    guard bytes.count == Self.length else {
      throw .invalidLength(expected: Self.length, actual: bytes.count)
    }
    self.storage = SecureBytes(copying: bytes)
  }

  /// Wraps storage already known to hold 32 bytes.
  package init(storage: SecureBytes) {
    precondition(storage.count == Self.length, "a SymmetricKey is 32 bytes")
    self.storage = storage
  }

  /// A key whose 32 bytes `body` writes into the zeroed storage, e.g. a KDF's output, so they
  /// never pass through an array.
  init(initializingWith body: (UnsafeMutableRawBufferPointer) -> Void) {
    self.storage = SecureBytes(count: Self.length, initializingWith: body)
  }

  /// A key from the first 32 bytes of `material` (e.g. a 64-byte HKDF output), copied
  /// straight into the key's storage; the caller zeroes `material`.
  package init(prefixOf material: [UInt8]) {
    precondition(material.count >= Self.length, "key material is shorter than a key")
    self.storage = SecureBytes(count: Self.length) { out in
      material.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<32])) }
    }
  }

  /// Parses the base64 text form (as written by `meshd gen-secret`).
  public init(base64: String) throws(CryptoError) {
    self.storage = try Base64.decodeSecretKey(base64, length: Self.length)
  }

  /// A new key from `random`.
  public static func generate(using random: inout some RandomSource) -> SymmetricKey {
    SymmetricKey { random.fill($0) }
  }

  /// A new key from the system's secure random source.
  public static func generate() -> SymmetricKey {
    var random = SystemRandom()
    return generate(using: &random)
  }

  /// The base64 text form, for the secret file.
  public var base64: String { storage.withUnsafeBytes { Base64.encode($0) } }

  /// A redacted form, so logging a key by mistake does not leak it.
  public var description: String { "SymmetricKey(<redacted>)" }

  /// Calls `body` with the key's 32 bytes, e.g. to pass them to `ChaChaPoly.sealInPlace`.
  /// The pointer is valid only inside `body`.
  @inline(__always)
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try storage.withUnsafeBytes(body)
  }

  /// Makes this value unusable: it now holds all-zero bytes and drops its reference to the
  /// key, which is zeroed as soon as no other copy holds it. Copies made earlier (another
  /// holder of the same key) keep working.
  public mutating func wipe() { storage = SecureBytes.wiped32 }

  /// Compares two keys in constant time.
  public static func == (a: SymmetricKey, b: SymmetricKey) -> Bool {
    a.storage.constantTimeEquals(b.storage)
  }
}
