import CSodium
import MeshTypes

/// A static or ephemeral X25519 secret key: 32 bytes, clamped by libsodium when used.
///
/// The bytes live in one zeroize-on-drop buffer (`SecureBytes`) that copies of the value
/// share, so there is exactly one copy of the secret in memory, zeroed when the last value
/// holding it goes away; `wipe()` makes this value unusable at once. Its `description` never
/// shows the key.
public struct PrivateKey: Sendable, Equatable, CustomStringConvertible {
  /// The length of an X25519 secret key in bytes.
  public static let length = 32

  /// The shared, immutable buffer of the 32 secret bytes.
  private(set) var storage: SecureBytes

  /// A copy of the raw secret bytes, for the rare caller that needs an array. Treat as
  /// secret and zero it (`Sodium.memzero`) when done; prefer `withUnsafeBytes`.
  public var bytes: [UInt8] { storage.copyBytes() }

  /// Wraps 32 raw secret bytes (copying them; the caller zeroes its array); throws
  /// `invalidLength` for any other count.
  public init(bytes: [UInt8]) throws(CryptoError) {
    guard bytes.count == Self.length else {
      throw .invalidLength(expected: Self.length, actual: bytes.count)
    }
    self.storage = SecureBytes(copying: bytes)
  }

  /// Wraps storage already known to hold 32 bytes.
  package init(storage: SecureBytes) {
    precondition(storage.count == Self.length, "a PrivateKey is 32 bytes")
    self.storage = storage
  }

  /// Parses the base64 text form (as written by `meshd genkey`).
  public init(base64: String) throws(CryptoError) {
    self.storage = try Base64.decodeSecretKey(base64, length: Self.length)
  }

  /// A new key from `random`; tests pass a seeded source to get repeatable keys.
  public static func generate(using random: inout some RandomSource) -> PrivateKey {
    PrivateKey(storage: SecureBytes(count: length) { random.fill($0) })
  }

  /// A new key from the system's secure random source.
  public static func generate() -> PrivateKey {
    var random = SystemRandom()
    return generate(using: &random)
  }

  /// The matching public key (X25519 base-point multiplication).
  public var publicKey: PublicKey {
    Sodium.ensureInitialized()
    var out = [UInt8](repeating: 0, count: PublicKey.length)
    out.withUnsafeMutableBytes { o in
      storage.withUnsafeBytes { s in
        _ = csodium_scalarmult_base(o.baseAddress!, s.baseAddress!)
      }
    }
    return PublicKey(unchecked: out)
  }

  /// The base64 text form, for the key file and the CLI.
  public var base64: String { storage.withUnsafeBytes { Base64.encode($0) } }

  /// Calls `body` with the 32 secret bytes, e.g. for a Diffie-Hellman. The pointer is valid
  /// only inside `body`.
  @inline(__always)
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try storage.withUnsafeBytes(body)
  }

  /// A redacted form, so logging a key by mistake does not leak it.
  public var description: String { "PrivateKey(<redacted>)" }

  /// Makes this value unusable: it now holds all-zero bytes and drops its reference to the
  /// secret, which is zeroed as soon as no other copy holds it. Copies made earlier (e.g. the
  /// engine configuration's key, while a handshake state wipes its own) keep working.
  public mutating func wipe() { storage = SecureBytes.wiped32 }

  /// Compares two keys in constant time.
  public static func == (a: PrivateKey, b: PrivateKey) -> Bool {
    a.storage.constantTimeEquals(b.storage)
  }
}
