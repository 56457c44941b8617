import MeshTypes

/// Noise's HandshakeState (spec section 5.3) for the 25519/ChaChaPoly/BLAKE2b suite: a value
/// type that writes and reads the messages of one handshake, then yields transport keys.
///
/// It does no I/O. `writeMessage` and `readMessage` are transactional: when one throws, the
/// state is as it was before the call, so a forged or garbled packet cannot derail a
/// handshake in progress; the caller decides whether to drop the packet or the handshake.
public struct HandshakeState: Sendable {
  /// The largest Noise message, handshake or transport (spec section 3).
  public static let maxMessageLength = 65535
  /// The length of the handshake hash (BLAKE2b HASHLEN).
  public static let hashLength = SymmetricState.hashLength
  /// The length of a pre-shared key.
  public static let pskLength = 32

  /// The pattern being run.
  public let pattern: NoisePattern
  /// True for the side that writes the first message.
  public let isInitiator: Bool
  /// The number of handshake messages written or read so far.
  public private(set) var messageIndex = 0
  /// The peer's static key: given up front (IK) or learned from a message (IX, XX).
  public private(set) var remoteStaticKey: PublicKey?
  /// The peer's ephemeral public key, once received.
  public private(set) var remoteEphemeralKey: PublicKey?

  private var symmetric: SymmetricState
  private var localStatic: PrivateKey?
  private var localEphemeral: PrivateKey?
  private var psk: SymmetricKey?

  /// Sets up one side of a handshake and hashes the prologue and pre-message keys.
  ///
  /// - Parameters:
  ///   - pattern: the handshake pattern, e.g. `.IXpsk2`.
  ///   - initiator: true for the side that writes the first message.
  ///   - prologue: data both sides must agree on; it is hashed in but never sent.
  ///   - localStatic: this side's static key, required when the pattern sends or pre-shares
  ///     it.
  ///   - localEphemeral: a fixed ephemeral key for test vectors; nil (normal use) draws one
  ///     from the `RandomSource` when the first `e` token is written.
  ///   - remoteStatic: the peer's static key, required exactly when it is a pre-message (IK).
  ///   - psk: the 32-byte pre-shared key, required exactly for psk patterns.
  /// - Throws: `missingKey`, `unexpectedKey` or `invalidPSK` when the keys do not fit the
  ///   pattern.
  public init(
    pattern: NoisePattern, initiator: Bool, prologue: [UInt8] = [],
    localStatic: PrivateKey? = nil, localEphemeral: PrivateKey? = nil,
    remoteStatic: PublicKey? = nil, psk: [UInt8]? = nil
  ) throws(NoiseError) {
    try self.init(
      pattern: pattern, initiator: initiator, prologue: prologue, localStatic: localStatic,
      localEphemeral: localEphemeral, remoteStatic: remoteStatic,
      checkedPSK: psk.map { bytes in
        bytes.count == Self.pskLength
          ? .success(try! SymmetricKey(bytes: bytes)) : .failure(.invalidPSK)
      })
  }

  /// The same, with the pre-shared key as a `SymmetricKey` (e.g. the cluster secret), so the
  /// handshake shares the key's zeroize-on-drop storage instead of holding a loose copy.
  public init(
    pattern: NoisePattern, initiator: Bool, prologue: [UInt8] = [],
    localStatic: PrivateKey? = nil, localEphemeral: PrivateKey? = nil,
    remoteStatic: PublicKey? = nil, psk: SymmetricKey
  ) throws(NoiseError) {
    try self.init(
      pattern: pattern, initiator: initiator, prologue: prologue, localStatic: localStatic,
      localEphemeral: localEphemeral, remoteStatic: remoteStatic, checkedPSK: .success(psk))
  }

  /// The designated initializer; `checkedPSK` is nil without a PSK and `.failure(.invalidPSK)`
  /// for one of the wrong length, reported only after the pattern's other checks.
  private init(
    pattern: NoisePattern, initiator: Bool, prologue: [UInt8],
    localStatic: PrivateKey?, localEphemeral: PrivateKey?,
    remoteStatic: PublicKey?, checkedPSK psk: Result<SymmetricKey, NoiseError>?
  ) throws(NoiseError) {
    self.pattern = pattern
    self.isInitiator = initiator
    self.localStatic = localStatic
    self.localEphemeral = localEphemeral
    self.remoteStaticKey = remoteStatic
    self.symmetric = SymmetricState(protocolName: pattern.protocolName)

    let localPre = initiator ? pattern.initiatorPreMessage : pattern.responderPreMessage
    let remotePre = initiator ? pattern.responderPreMessage : pattern.initiatorPreMessage
    let localSends = pattern.messages.enumerated()
      .filter { ($0.offset % 2 == 0) == initiator }.flatMap(\.element)
    let remoteSends = pattern.messages.enumerated()
      .filter { ($0.offset % 2 == 0) != initiator }.flatMap(\.element)

    let usesLocalStatic = localPre.contains(.s) || localSends.contains(.s)
    if usesLocalStatic && localStatic == nil { throw .missingKey("localStatic") }
    if !usesLocalStatic && localStatic != nil { throw .unexpectedKey("localStatic") }
    if remotePre.contains(.s) && remoteStatic == nil { throw .missingKey("remoteStatic") }
    if !remotePre.contains(.s) && remoteStatic != nil {
      throw .unexpectedKey(
        remoteSends.contains(.s) ? "remoteStatic (sent in-band)" : "remoteStatic")
    }
    if localPre.contains(.e) && localEphemeral == nil { throw .missingKey("localEphemeral") }
    if remotePre.contains(.e) { throw .missingKey("remoteEphemeral pre-message") }
    if pattern.hasPSK {
      guard let psk else { throw .missingKey("psk") }
      self.psk = try psk.get()
    } else if psk != nil {
      throw .unexpectedKey("psk")
    }

    symmetric.mixHash(prologue)
    for (index, tokens) in [pattern.initiatorPreMessage, pattern.responderPreMessage].enumerated() {
      let isLocal = (index == 0) == initiator
      for token in tokens {
        switch token {
        case .s:
          let key = isLocal ? localStatic!.publicKey : remoteStatic!
          symmetric.mixHash(key.bytes)
        case .e:
          let key = localEphemeral!.publicKey
          symmetric.mixHash(key.bytes)
          if pattern.hasPSK { symmetric.mixKey(key.bytes) }
        default:
          break
        }
      }
    }
  }

  /// True once every handshake message has been written or read; then call `split`.
  public var isComplete: Bool { messageIndex >= pattern.messages.count }

  /// True when the next handshake message is ours to write (false once complete).
  public var isWriteTurn: Bool { !isComplete && (messageIndex % 2 == 0) == isInitiator }

  /// The handshake hash h: after completion, a unique ID of this session that both sides
  /// share (for channel binding).
  public var handshakeHash: [UInt8] { symmetric.handshakeHash }

  /// Writes the next handshake message with `payload` (encrypted once a key is mixed in).
  ///
  /// `random` supplies the ephemeral key unless one was injected. Throws `handshakeComplete`
  /// or `wrongTurn` when it is not our turn, `messageTooLong` when the message would exceed
  /// `maxMessageLength`, `lowOrderPoint` when a DH with the peer's key fails.
  public mutating func writeMessage(
    payload: [UInt8], random: inout some RandomSource
  ) throws(NoiseError) -> [UInt8] {
    guard !isComplete else { throw .handshakeComplete }
    guard isWriteTurn else { throw .wrongTurn }
    var next = self
    var message: [UInt8] = []
    for token in pattern.messages[messageIndex] {
      switch token {
      case .e:
        if next.localEphemeral == nil { next.localEphemeral = PrivateKey.generate(using: &random) }
        let key = next.localEphemeral!.publicKey.bytes
        message += key
        next.symmetric.mixHash(key)
        if pattern.hasPSK { next.symmetric.mixKey(key) }
      case .s:
        guard let localStatic = next.localStatic else { throw .missingKey("localStatic") }
        message += try next.symmetric.encryptAndHash(localStatic.publicKey.bytes)
      case .psk:
        guard let psk = next.psk else { throw .missingKey("psk") }
        next.symmetric.mixKeyAndHash(psk)
      case .ee, .es, .se, .ss:
        try next.mixDH(token)
      }
    }
    message += try next.symmetric.encryptAndHash(payload)
    guard message.count <= Self.maxMessageLength else { throw .messageTooLong }
    next.advance()
    self = next
    return message
  }

  /// Reads the peer's next handshake message and returns its decrypted payload.
  ///
  /// Throws `handshakeComplete` or `wrongTurn` out of order, `messageTooLong` or
  /// `messageTooShort` for bad lengths, `decryptFailed` when authentication fails (wrong
  /// static key, PSK or prologue, or tampering), `lowOrderPoint` for a malicious key.
  public mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
    guard message.count <= Self.maxMessageLength else { throw .messageTooLong }
    guard !isComplete else { throw .handshakeComplete }
    guard !isWriteTurn else { throw .wrongTurn }
    var next = self
    var offset = 0
    func take(_ count: Int) throws(NoiseError) -> [UInt8] {
      guard message.count - offset >= count else { throw .messageTooShort }
      defer { offset += count }
      return Array(message[offset..<offset + count])
    }
    for token in pattern.messages[messageIndex] {
      switch token {
      case .e:
        let key = try take(PublicKey.length)
        next.remoteEphemeralKey = PublicKey(unchecked: key)
        next.symmetric.mixHash(key)
        if pattern.hasPSK { next.symmetric.mixKey(key) }
      case .s:
        let length = PublicKey.length + (next.symmetric.cipher.hasKey ? ChaChaPoly.tagLength : 0)
        let key = try next.symmetric.decryptAndHash(try take(length))
        next.remoteStaticKey = PublicKey(unchecked: key)
      case .psk:
        guard let psk = next.psk else { throw .missingKey("psk") }
        next.symmetric.mixKeyAndHash(psk)
      case .ee, .es, .se, .ss:
        try next.mixDH(token)
      }
    }
    let payload = try next.symmetric.decryptAndHash(Array(message[offset...]))
    next.advance()
    self = next
    return payload
  }

  /// The transport cipher states, oriented for this side: `send` encrypts what we send.
  /// Throws `handshakeIncomplete` before the last message. Also wipes the ephemeral key.
  public mutating func split() throws(NoiseError) -> (send: CipherState, receive: CipherState) {
    let keys = try splitKeys()
    return (CipherState(key: keys.send), CipherState(key: keys.receive))
  }

  /// The two raw 32-byte transport keys, oriented for this side, for a session layer that
  /// keeps keys and counters itself. Throws `handshakeIncomplete` before the last message.
  public mutating func splitKeys() throws(NoiseError) -> (send: SymmetricKey, receive: SymmetricKey)
  {
    guard isComplete else { throw .handshakeIncomplete }
    localEphemeral?.wipe()
    let (first, second) = symmetric.splitKeys()
    return isInitiator ? (first, second) : (second, first)
  }

  /// Drops every secret this state holds (static and ephemeral keys, PSK, ck, cipher key;
  /// each is zeroed once no other copy holds it) and zeroes h. Dropping the state has the
  /// same effect on the secrets; this makes a state that is kept around unusable.
  public mutating func wipe() {
    localStatic?.wipe()
    localEphemeral?.wipe()
    psk?.wipe()
    symmetric.wipe()
  }

  /// Moves to the next message; on completion the ephemeral secret is no longer needed.
  private mutating func advance() {
    messageIndex += 1
    if isComplete { localEphemeral?.wipe() }
  }

  /// Performs the DH that `token` names, from this side's point of view, and mixes it in.
  private mutating func mixDH(_ token: NoisePattern.Token) throws(NoiseError) {
    let local: PrivateKey?
    let remote: PublicKey?
    switch token {
    case .ee:
      (local, remote) = (localEphemeral, remoteEphemeralKey)
    case .ss:
      (local, remote) = (localStatic, remoteStaticKey)
    case .es:
      (local, remote) =
        isInitiator ? (localEphemeral, remoteStaticKey) : (localStatic, remoteEphemeralKey)
    case .se:
      (local, remote) =
        isInitiator ? (localStatic, remoteEphemeralKey) : (localEphemeral, remoteStaticKey)
    default:
      return
    }
    guard let local else { throw .missingKey("local key for \(token.rawValue)") }
    guard let remote else { throw .missingKey("remote key for \(token.rawValue)") }
    var secret: [UInt8]
    do {
      secret = try X25519.sharedSecret(local, remote)
    } catch {
      throw .lowOrderPoint
    }
    symmetric.mixKey(secret)
    Sodium.memzero(&secret)
  }
}
