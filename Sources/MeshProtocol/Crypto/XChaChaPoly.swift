import CSodium

/// XChaCha20-Poly1305 (IETF) with a 24-byte random nonce: for cookie replies, whose nonces are
/// random rather than counters, so the long nonce makes reuse impossible in practice.
public enum XChaChaPoly {
  /// The nonce length.
  public static let nonceLength = 24
  /// The tag length.
  public static let tagLength = 16

  /// Encrypts `plaintext` under a 32-byte key; returns ciphertext and tag.
  public static func seal(key: [UInt8], nonce: [UInt8], ad: [UInt8], plaintext: [UInt8])
    -> [UInt8]
  {
    precondition(key.count == 32 && nonce.count == nonceLength)
    Sodium.ensureInitialized()
    var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
    _ = csodium_xaead_seal(&out, plaintext, plaintext.count, ad, ad.count, nonce, key)
    return out
  }

  /// Decrypts and authenticates; nil when the ciphertext, nonce or ad was tampered with.
  public static func open(key: [UInt8], nonce: [UInt8], ad: [UInt8], ciphertext: [UInt8])
    -> [UInt8]?
  {
    precondition(key.count == 32 && nonce.count == nonceLength)
    guard ciphertext.count >= tagLength else { return nil }
    Sodium.ensureInitialized()
    var out = [UInt8](repeating: 0, count: ciphertext.count - tagLength)
    let rc = csodium_xaead_open(&out, ciphertext, ciphertext.count, ad, ad.count, nonce, key)
    return rc == 0 ? out : nil
  }

  /// ``seal(key:nonce:ad:plaintext:)`` under a ``SymmetricKey``, read in place.
  public static func seal(key: SymmetricKey, nonce: [UInt8], ad: [UInt8], plaintext: [UInt8])
    -> [UInt8]
  {
    precondition(nonce.count == nonceLength)
    Sodium.ensureInitialized()
    var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
    key.withUnsafeBytes { k in
      _ = csodium_xaead_seal(&out, plaintext, plaintext.count, ad, ad.count, nonce, k.baseAddress!)
    }
    return out
  }

  /// ``open(key:nonce:ad:ciphertext:)`` under a ``SymmetricKey``, read in place.
  public static func open(key: SymmetricKey, nonce: [UInt8], ad: [UInt8], ciphertext: [UInt8])
    -> [UInt8]?
  {
    precondition(nonce.count == nonceLength)
    guard ciphertext.count >= tagLength else { return nil }
    Sodium.ensureInitialized()
    var out = [UInt8](repeating: 0, count: ciphertext.count - tagLength)
    let rc = key.withUnsafeBytes { k in
      csodium_xaead_open(&out, ciphertext, ciphertext.count, ad, ad.count, nonce, k.baseAddress!)
    }
    return rc == 0 ? out : nil
  }
}
