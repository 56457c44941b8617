/// A 256-bit symmetric key: a session (transport) key, a Noise cipher key, or the cluster
/// secret. Call `wipe()` when done with it; its `description` never shows the key.
public struct SymmetricKey: Sendable, Equatable, CustomStringConvertible {
  /// The key length in bytes.
  public static let length = 32

  /// The raw key bytes. Treat as secret.
  public private(set) var bytes: [UInt8]

  /// Wraps 32 raw bytes; throws `invalidLength` for any other count.
  public init(bytes: [UInt8]) throws(CryptoError) {
    guard bytes.count == Self.length else {
      throw .invalidLength(expected: Self.length, actual: bytes.count)
    }
    self.bytes = bytes
  }

  /// Wraps bytes already known to be 32 long.
  init(unchecked bytes: [UInt8]) { self.bytes = bytes }

  /// Parses the base64 text form (as written by `meshd gen-secret`).
  public init(base64: String) throws(CryptoError) {
    self.bytes = try Base64.decodeKey(base64, length: Self.length)
  }

  /// A new key from `random`.
  public static func generate(using random: inout some RandomSource) -> SymmetricKey {
    var bytes = [UInt8](repeating: 0, count: length)
    bytes.withUnsafeMutableBytes { random.fill($0) }
    return SymmetricKey(unchecked: bytes)
  }

  /// A new key from the system's secure random source.
  public static func generate() -> SymmetricKey {
    var random = SystemRandom()
    return generate(using: &random)
  }

  /// The base64 text form, for the secret file.
  public var base64: String { Base64.encode(bytes) }

  /// A redacted form, so logging a key by mistake does not leak it.
  public var description: String { "SymmetricKey(<redacted>)" }

  /// Calls `body` with the key's 32 bytes, e.g. to pass them to `ChaChaPoly.sealInPlace`.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes(body)
  }

  /// Overwrites the key with zeros; the key is unusable afterwards.
  public mutating func wipe() { Sodium.memzero(&bytes) }

  /// Compares two keys in constant time.
  public static func == (a: SymmetricKey, b: SymmetricKey) -> Bool {
    Sodium.constantTimeEqual(a.bytes, b.bytes)
  }
}
