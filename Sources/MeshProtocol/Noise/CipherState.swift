/// Noise's CipherState (spec section 5.1): a key `k`, which may be absent, and the 64-bit
/// nonce `n`. Without a key, encryption is the identity, as early handshake messages need.
public struct CipherState: Sendable {
  /// The cipher key, nil before the handshake has mixed one in.
  public private(set) var key: SymmetricKey?
  /// The next nonce to use.
  public private(set) var nonce: UInt64 = 0

  /// A state with `key` (or none) and nonce 0.
  public init(key: SymmetricKey? = nil) { self.key = key }

  /// True once a key is set.
  public var hasKey: Bool { key != nil }

  /// Sets a new key and resets the nonce (InitializeKey).
  public mutating func initializeKey(_ newKey: SymmetricKey?) {
    key?.wipe()
    key = newKey
    nonce = 0
  }

  /// Sets the nonce, e.g. to follow an explicit counter carried by a transport packet.
  public mutating func setNonce(_ value: UInt64) { nonce = value }

  /// Encrypts `plaintext` with `ad` under the next nonce (or returns it as is without a key).
  /// Throws `nonceExhausted` after 2^64 - 1 messages and `messageTooLong` when the result
  /// would exceed the Noise message limit.
  public mutating func encryptWithAd(
    _ ad: [UInt8], _ plaintext: [UInt8]
  ) throws(NoiseError) -> [UInt8] {
    guard let key else { return plaintext }
    guard plaintext.count + ChaChaPoly.tagLength <= HandshakeState.maxMessageLength else {
      throw .messageTooLong
    }
    guard nonce < UInt64.max else { throw .nonceExhausted }
    let result = ChaChaPoly.seal(key: key, counter: nonce, ad: ad, plaintext: plaintext)
    nonce += 1
    return result
  }

  /// Decrypts `ciphertext` with `ad` under the next nonce (or returns it as is without a
  /// key). Throws `decryptFailed` when it does not authenticate; the nonce then stays put.
  public mutating func decryptWithAd(
    _ ad: [UInt8], _ ciphertext: [UInt8]
  ) throws(NoiseError) -> [UInt8] {
    guard let key else { return ciphertext }
    guard ciphertext.count <= HandshakeState.maxMessageLength else { throw .messageTooLong }
    guard ciphertext.count >= ChaChaPoly.tagLength else { throw .messageTooShort }
    guard nonce < UInt64.max else { throw .nonceExhausted }
    guard let plaintext = ChaChaPoly.open(key: key, counter: nonce, ad: ad, ciphertext: ciphertext)
    else { throw .decryptFailed }
    nonce += 1
    return plaintext
  }

  /// Forgets the key; its storage is zeroed as soon as no copy of this state holds it.
  public mutating func wipe() {
    key?.wipe()
    key = nil
    nonce = 0
  }
}
