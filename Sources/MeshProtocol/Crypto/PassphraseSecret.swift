import CSodium

/// Derives the 32-byte cluster secret from a passphrase with Argon2id, Weave-style, so
/// operators can type one passphrase on every host instead of copying a secret file.
///
/// Every host must derive the same secret, so the salt is fixed and public: the 16 ASCII
/// bytes of `"meshd cluster v1"` (exactly `crypto_pwhash_SALTBYTES`), and the cost is
/// libsodium's INTERACTIVE limits (2 passes, 64 MiB, about 0.1 s). Changing either changes
/// every derived secret, so they are part of the protocol (hence the "v1").
public enum PassphraseSecret {
  /// The domain-separation label used as the Argon2id salt.
  public static let saltLabel = "meshd cluster v1"

  /// The salt bytes: the label, zero-padded (or cut) to libsodium's salt length.
  static var salt: [UInt8] {
    var bytes = Array(saltLabel.utf8.prefix(Int(crypto_pwhash_saltbytes())))
    bytes.append(contentsOf: repeatElement(0, count: Int(crypto_pwhash_saltbytes()) - bytes.count))
    return bytes
  }

  /// The cluster secret for `passphrase` (its UTF-8 bytes, unnormalised).
  ///
  /// Throws `emptyPassphrase` for an empty passphrase and `keyDerivationFailed` if Argon2id
  /// cannot get its memory. Takes about 0.1 s: call it once at start-up, not per handshake.
  public static func derive(passphrase: String) throws(CryptoError) -> SymmetricKey {
    var password = Array(passphrase.utf8)
    guard !password.isEmpty else { throw .emptyPassphrase }
    defer { Sodium.memzero(&password) }
    Sodium.ensureInitialized()
    let saltBytes = salt
    var result: Int32 = 0
    // Argon2id writes straight into the key's storage: no array copy of the secret.
    let key = SymmetricKey { o in
      result = password.withUnsafeBytes { p in
        saltBytes.withUnsafeBytes { s in
          csodium_pwhash_argon2id(
            o.baseAddress!, o.count, p.baseAddress!, p.count, s.baseAddress!,
            UInt64(crypto_pwhash_opslimit_interactive()), crypto_pwhash_memlimit_interactive())
        }
      }
    }
    guard result == 0 else { throw .keyDerivationFailed }
    return key
  }
}
