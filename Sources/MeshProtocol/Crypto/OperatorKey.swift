import CSodium
import MeshTypes

/// An operator's Ed25519 signing key: it signs tombstones that retire a host for good
/// (`meshd release`), which hosts accept only when the matching `OperatorPublicKey` is
/// configured on them.
///
/// The secret is the 32-byte Ed25519 seed, kept in a zeroize-on-drop buffer; its text form is
/// base64 of the seed. Its `description` never shows the key.
public struct OperatorKey: Sendable, Equatable, CustomStringConvertible {
  /// The length of the seed in bytes.
  public static let seedLength = 32
  /// The length of an Ed25519 signature in bytes.
  public static let signatureLength = 64
  /// The length of libsodium's expanded secret key (seed then public key).
  static let secretKeyLength = 64

  /// The seed.
  private let seed: SecureBytes

  /// Wraps a 32-byte seed (copied; the caller zeroes its array).
  public init(seed: [UInt8]) throws(CryptoError) {
    guard seed.count == Self.seedLength else {
      throw .invalidLength(expected: Self.seedLength, actual: seed.count)
    }
    self.seed = SecureBytes(copying: seed)
  }

  /// Parses the base64 text form of the seed.
  public init(base64: String) throws(CryptoError) {
    self.seed = try Base64.decodeSecretKey(base64, length: Self.seedLength)
  }

  /// Wraps storage known to hold a seed.
  private init(storage: SecureBytes) { self.seed = storage }

  /// A new key from `random`; tests pass a seeded source to get repeatable keys.
  public static func generate(using random: inout some RandomSource) -> OperatorKey {
    OperatorKey(storage: SecureBytes(count: seedLength) { random.fill($0) })
  }

  /// A new key from the system's secure random source.
  public static func generate() -> OperatorKey {
    var random = SystemRandom()
    return generate(using: &random)
  }

  /// The base64 text form of the seed, for the operator's key file.
  public var base64: String { seed.withUnsafeBytes { Base64.encode($0) } }

  /// The public key hosts are configured with.
  public var publicKey: OperatorPublicKey {
    withExpanded { publicKey, _ in OperatorPublicKey(unchecked: publicKey) }
  }

  /// The Ed25519 signature of `message` (deterministic).
  public func sign(_ message: [UInt8]) -> [UInt8] {
    withExpanded { _, secret in
      var signature = [UInt8](repeating: 0, count: Self.signatureLength)
      _ = secret.withUnsafeBytes { s in
        csodium_sign_detached(&signature, message, message.count, s.baseAddress!)
      }
      return signature
    }
  }

  /// Calls `body` with the public key and libsodium's expanded secret key, zeroed afterwards.
  private func withExpanded<R>(_ body: ([UInt8], [UInt8]) -> R) -> R {
    Sodium.ensureInitialized()
    var publicKey = [UInt8](repeating: 0, count: OperatorPublicKey.length)
    var secret = [UInt8](repeating: 0, count: Self.secretKeyLength)
    defer { Sodium.memzero(&secret) }
    seed.withUnsafeBytes { s in
      _ = csodium_sign_seed_keypair(&publicKey, &secret, s.baseAddress!)
    }
    return body(publicKey, secret)
  }

  /// A redacted form, so logging a key by mistake does not leak it.
  public var description: String { "OperatorKey(<redacted>)" }

  /// Compares two keys in constant time.
  public static func == (a: OperatorKey, b: OperatorKey) -> Bool {
    a.seed.constantTimeEquals(b.seed)
  }
}

/// An operator's Ed25519 public key: hosts configured with it accept the tombstones its
/// `OperatorKey` signs.
public struct OperatorPublicKey: Hashable, Sendable, CustomStringConvertible {
  /// The length of an Ed25519 public key in bytes.
  public static let length = 32

  /// The raw 32 bytes.
  public let bytes: [UInt8]

  /// Wraps 32 bytes; nil for any other count (invalid points fail verification).
  public init?(bytes: [UInt8]) {
    guard bytes.count == Self.length else { return nil }
    self.bytes = bytes
  }

  /// Wraps bytes already known to be 32 long.
  init(unchecked bytes: [UInt8]) { self.bytes = bytes }

  /// Parses the base64 text form.
  public init(base64: String) throws(CryptoError) {
    self.bytes = try Base64.decodeKey(base64, length: Self.length)
  }

  /// The base64 text form.
  public var base64: String { Base64.encode(bytes) }

  /// The base64 text form, so keys print the way operators paste them.
  public var description: String { base64 }

  /// Whether `signature` is this key's Ed25519 signature of `message` (libsodium refuses
  /// non-canonical and small-order encodings).
  public func verify(_ signature: [UInt8], of message: [UInt8]) -> Bool {
    guard signature.count == OperatorKey.signatureLength else { return false }
    Sodium.ensureInitialized()
    return csodium_sign_verify_detached(signature, message, message.count, bytes) == 0
  }
}
