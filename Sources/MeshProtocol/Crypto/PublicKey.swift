import MeshTypes

/// An X25519 public key: 32 bytes. It identifies a host; its BLAKE2b hash gives the `PeerID`.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
  /// The length of an X25519 public key in bytes.
  public static let length = 32

  /// The raw 32 bytes.
  public let bytes: [UInt8]

  /// Wraps 32 bytes; nil for any other count. Low-order points are accepted here and refused
  /// by `X25519.sharedSecret`, where they matter.
  public init?(bytes: [UInt8]) {
    guard bytes.count == Self.length else { return nil }
    self.bytes = bytes
  }

  /// Wraps bytes already known to be 32 long.
  init(unchecked bytes: [UInt8]) { self.bytes = bytes }

  /// Parses the base64 text form (as printed by `meshd pubkey`).
  public init(base64: String) throws(CryptoError) {
    self.bytes = try Base64.decodeKey(base64, length: Self.length)
  }

  /// The base64 text form.
  public var base64: String { Base64.encode(bytes) }

  /// The base64 text form, so keys print the way operators paste them.
  public var description: String { base64 }

  /// The host's short ID: the first 8 bytes of BLAKE2b-256 of the key, read little-endian.
  /// Every host derives the same ID from the same key.
  public var peerID: PeerID {
    let digest = Blake2b.hash(bytes, outputLength: 32)
    var value: UInt64 = 0
    for index in (0..<8).reversed() { value = value << 8 | UInt64(digest[index]) }
    return PeerID(rawValue: value)
  }

  /// Calls `body` with the key's bytes, for C calls without a copy.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes(body)
  }
}
