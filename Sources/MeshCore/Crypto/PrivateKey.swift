import CSodium

/// A static or ephemeral X25519 secret key: 32 bytes, clamped by libsodium when used.
///
/// It is a value type holding its bytes in an array; call `wipe()` when done with it so the
/// secret does not linger. Its `description` never shows the key.
public struct PrivateKey: Sendable, Equatable, CustomStringConvertible {
  /// The length of an X25519 secret key in bytes.
  public static let length = 32

  /// The raw secret bytes, e.g. to write the key file. Treat as secret.
  public private(set) var bytes: [UInt8]

  /// Wraps 32 raw secret bytes; throws `invalidLength` for any other count.
  public init(bytes: [UInt8]) throws(CryptoError) {
    guard bytes.count == Self.length else {
      throw .invalidLength(expected: Self.length, actual: bytes.count)
    }
    self.bytes = bytes
  }

  /// Parses the base64 text form (as written by `meshd genkey`).
  public init(base64: String) throws(CryptoError) {
    self.bytes = try Base64.decodeKey(base64, length: Self.length)
  }

  /// A new key from `random`; tests pass a seeded source to get repeatable keys.
  public static func generate(using random: inout some RandomSource) -> PrivateKey {
    var bytes = [UInt8](repeating: 0, count: length)
    bytes.withUnsafeMutableBytes { random.fill($0) }
    return try! PrivateKey(bytes: bytes)
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
      bytes.withUnsafeBytes { s in
        _ = csodium_scalarmult_base(o.baseAddress!, s.baseAddress!)
      }
    }
    return PublicKey(unchecked: out)
  }

  /// The base64 text form, for the key file and the CLI.
  public var base64: String { Base64.encode(bytes) }

  /// A redacted form, so logging a key by mistake does not leak it.
  public var description: String { "PrivateKey(<redacted>)" }

  /// Overwrites the secret with zeros; the key is unusable afterwards.
  public mutating func wipe() { Sodium.memzero(&bytes) }

  /// Compares two keys in constant time.
  public static func == (a: PrivateKey, b: PrivateKey) -> Bool {
    Sodium.constantTimeEqual(a.bytes, b.bytes)
  }
}
