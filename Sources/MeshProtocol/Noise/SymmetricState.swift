/// Noise's SymmetricState (spec section 5.2): the chaining key `ck`, the handshake hash `h`,
/// and the CipherState they key. HASHLEN is 64 (BLAKE2b).
public struct SymmetricState: Sendable {
  /// Noise's HASHLEN for BLAKE2b.
  public static let hashLength = 64

  /// The chaining key, a secret: kept in zeroize-on-drop storage that copies of the state
  /// (a handshake's transactional copy, a pending initiation) share.
  private var chainingKeyStorage: SecureBytes
  /// A copy of the chaining key, e.g. for test vectors; zero it when done.
  public var chainingKey: [UInt8] { chainingKeyStorage.copyBytes() }
  /// The handshake hash: a transcript of everything sent and received.
  public private(set) var handshakeHash: [UInt8]
  /// The cipher that encrypts handshake payloads and static keys.
  public private(set) var cipher = CipherState()

  /// InitializeSymmetric: h is the protocol name zero-padded to 64 bytes when it fits (it is
  /// hashed only when longer), and ck starts equal to h.
  public init(protocolName: String) {
    let name = Array(protocolName.utf8)
    if name.count <= Self.hashLength {
      handshakeHash = name + [UInt8](repeating: 0, count: Self.hashLength - name.count)
    } else {
      handshakeHash = Blake2b.hash(name)
    }
    chainingKeyStorage = SecureBytes(copying: handshakeHash)
  }

  /// HKDF from the chaining key; the caller zeroes the outputs.
  private func hkdf(_ input: [UInt8], outputs: Int) -> [[UInt8]] {
    chainingKeyStorage.withUnsafeBytes {
      HMACBlake2b.hkdf(rawChainingKey: $0, input: input, outputs: outputs)
    }
  }

  /// MixKey: derives a new ck and cipher key from DH output or an ephemeral key.
  public mutating func mixKey(_ input: [UInt8]) {
    var outputs = hkdf(input, outputs: 2)
    chainingKeyStorage = SecureBytes(copying: outputs[0])
    cipher.initializeKey(SymmetricKey(prefixOf: outputs[1]))
    Sodium.memzero(&outputs[0])
    Sodium.memzero(&outputs[1])
  }

  /// MixHash: h = HASH(h || data).
  public mutating func mixHash(_ data: [UInt8]) {
    handshakeHash = Blake2b.hash(handshakeHash, data)
  }

  /// MixKeyAndHash: mixes a PSK into ck, h and the cipher key.
  public mutating func mixKeyAndHash(_ input: [UInt8]) {
    var outputs = hkdf(input, outputs: 3)
    chainingKeyStorage = SecureBytes(copying: outputs[0])
    mixHash(outputs[1])
    cipher.initializeKey(SymmetricKey(prefixOf: outputs[2]))
    Sodium.memzero(&outputs[0])
    Sodium.memzero(&outputs[1])
    Sodium.memzero(&outputs[2])
  }

  /// MixKeyAndHash with a pre-shared key read from its storage; the one working copy is zeroed.
  mutating func mixKeyAndHash(_ key: SymmetricKey) {
    var input = key.bytes
    mixKeyAndHash(input)
    Sodium.memzero(&input)
  }

  /// EncryptAndHash: encrypts with h as associated data, then hashes the ciphertext into h.
  public mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
    let ciphertext = try cipher.encryptWithAd(handshakeHash, plaintext)
    mixHash(ciphertext)
    return ciphertext
  }

  /// DecryptAndHash: decrypts with h as associated data, then hashes the ciphertext into h.
  public mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
    let plaintext = try cipher.decryptWithAd(handshakeHash, ciphertext)
    mixHash(ciphertext)
    return plaintext
  }

  /// Split: the two transport keys, the first for initiator-to-responder traffic.
  public func splitKeys() -> (SymmetricKey, SymmetricKey) {
    var outputs = hkdf([], outputs: 2)
    let first = SymmetricKey(prefixOf: outputs[0])
    let second = SymmetricKey(prefixOf: outputs[1])
    Sodium.memzero(&outputs[0])
    Sodium.memzero(&outputs[1])
    return (first, second)
  }

  /// Split as CipherStates: initiator-to-responder first, then responder-to-initiator.
  public func split() -> (CipherState, CipherState) {
    let (first, second) = splitKeys()
    return (CipherState(key: first), CipherState(key: second))
  }

  /// Drops ck (zeroed once no copy of this state holds it), zeroes h and drops the cipher key.
  public mutating func wipe() {
    chainingKeyStorage = SecureBytes(zeros: Self.hashLength)
    Sodium.memzero(&handshakeHash)
    cipher.wipe()
  }
}
