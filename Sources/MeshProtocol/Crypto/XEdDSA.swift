import CSodium

/// XEdDSA (Signal's specification): Ed25519-compatible signatures made with an X25519 key.
///
/// A host's identity is its static X25519 key pair, the one its handshakes prove; XEdDSA lets
/// the same key sign gossip records, so key files stay as they are. Signing converts the
/// Montgomery private scalar to an Edwards key pair whose public key has sign bit 0;
/// verification converts the Montgomery u coordinate to that Edwards public key,
/// y = (u - 1) / (u + 1) with sign bit 0, and runs standard Ed25519 verification (libsodium's,
/// which refuses non-canonical `s` and small-order points).
public enum XEdDSA {
  /// The length of a signature in bytes: R (32) then s (32).
  public static let signatureLength = 64
  /// The length of the random input Z in bytes.
  public static let randomLength = 64
  /// The length of an Ed25519 scalar or point encoding.
  static let scalarLength = 32

  /// hash1's prefix: 2^256 - 1 - 1 as 32 little-endian bytes.
  static let hash1Prefix: [UInt8] = [0xFE] + [UInt8](repeating: 0xFF, count: 31)

  /// Signs `message` with the X25519 key `key`; `random` is the 64-byte Z (from the caller's
  /// random source, so tests are repeatable). Returns R ‖ s.
  public static func sign(_ message: [UInt8], with key: PrivateKey, random: [UInt8]) -> [UInt8] {
    precondition(random.count == randomLength, "XEdDSA needs 64 random bytes")
    Sodium.ensureInitialized()
    // a: the clamped Montgomery scalar, reduced mod L (same point, and libsodium's scalar
    // arithmetic wants reduced scalars).
    var wide = [UInt8](repeating: 0, count: 64)
    key.withUnsafeBytes { secret in
      wide.withUnsafeMutableBytes { $0.copyMemory(from: secret) }
    }
    defer { Sodium.memzero(&wide) }
    wide[0] &= 248
    wide[31] &= 127
    wide[31] |= 64
    var a = [UInt8](repeating: 0, count: scalarLength)
    defer { Sodium.memzero(&a) }
    csodium_scalar_reduce(&a, wide)
    var publicKey = [UInt8](repeating: 0, count: scalarLength)
    guard csodium_scalarmult_ed25519_base_noclamp(&publicKey, a) == 0 else {
      preconditionFailure("an X25519 private key is never zero mod L")
    }
    if publicKey[31] & 0x80 != 0 {
      // A has sign bit 1: use -a, whose point -A has the same y and sign bit 0.
      var negated = [UInt8](repeating: 0, count: scalarLength)
      csodium_scalar_negate(&negated, a)
      a = negated
      Sodium.memzero(&negated)
      publicKey[31] &= 0x7F
    }
    var nonceInput = hash1Prefix
    nonceInput.reserveCapacity(32 + 32 + message.count + 64)
    nonceInput += a
    nonceInput += message
    nonceInput += random
    defer { Sodium.memzero(&nonceInput) }
    var r = reducedHash(nonceInput)
    defer { Sodium.memzero(&r) }
    var bigR = [UInt8](repeating: 0, count: scalarLength)
    guard csodium_scalarmult_ed25519_base_noclamp(&bigR, r) == 0 else {
      preconditionFailure("r = 0: SHA-512 hit the group order")
    }
    let h = reducedHash(bigR + publicKey + message)
    var ha = [UInt8](repeating: 0, count: scalarLength)
    defer { Sodium.memzero(&ha) }
    csodium_scalar_mul(&ha, h, a)
    var s = [UInt8](repeating: 0, count: scalarLength)
    csodium_scalar_add(&s, r, ha)
    return bigR + s
  }

  /// Whether `signature` is a valid XEdDSA signature of `message` by the X25519 public key
  /// `publicKey`. False for a u coordinate at or above p and for anything Ed25519
  /// verification refuses.
  public static func verify(_ signature: [UInt8], of message: [UInt8], by publicKey: PublicKey)
    -> Bool
  {
    guard signature.count == signatureLength,
      let edwards = edwardsPublicKey(montgomery: publicKey.bytes)
    else { return false }
    Sodium.ensureInitialized()
    return csodium_sign_verify_detached(signature, message, message.count, edwards) == 0
  }

  /// The Edwards public key (y with sign bit 0) of the Montgomery u coordinate `u`; nil when
  /// `u` is not canonical (at or above p, all 256 bits read).
  public static func edwardsPublicKey(montgomery u: [UInt8]) -> [UInt8]? {
    guard u.count == scalarLength, Field25519.isCanonical(u) else { return nil }
    let x = Field25519(bytes: u)
    let y = (x - .one) * (x + .one).inverse
    var out = y.bytes
    out[31] &= 0x7F
    return out
  }

  /// SHA-512 of `input`, reduced mod L to 32 bytes.
  static func reducedHash(_ input: [UInt8]) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: 64)
    defer { Sodium.memzero(&digest) }
    _ = csodium_sha512(&digest, input, input.count)
    var out = [UInt8](repeating: 0, count: scalarLength)
    csodium_scalar_reduce(&out, digest)
    return out
  }
}
