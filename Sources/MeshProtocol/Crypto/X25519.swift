import CSodium

/// X25519 Diffie-Hellman (RFC 7748), the DH function of the Noise handshake.
public enum X25519 {
  /// The length of a shared secret in bytes.
  public static let sharedSecretLength = 32

  /// The shared secret of `priv` and `pub`.
  ///
  /// Throws `lowOrderPoint` when libsodium reports an all-zero result (the peer sent a
  /// low-order point), so a malicious peer cannot force a known secret.
  public static func sharedSecret(
    _ priv: PrivateKey, _ pub: PublicKey
  ) throws(CryptoError) -> [UInt8] {
    Sodium.ensureInitialized()
    var out = [UInt8](repeating: 0, count: sharedSecretLength)
    let result = out.withUnsafeMutableBytes { o in
      priv.withUnsafeBytes { s in
        pub.bytes.withUnsafeBytes { p in
          csodium_scalarmult(o.baseAddress!, s.baseAddress!, p.baseAddress!)
        }
      }
    }
    guard result == 0 else {
      Sodium.memzero(&out)
      throw .lowOrderPoint
    }
    return out
  }
}
