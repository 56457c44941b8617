import MeshCore
import Testing

/// The handshake state machine on its own: turn order, key checks, malformed and hostile
/// input, and the transactional behaviour of failed reads.
@Suite struct NoiseHandshakeTests {
  struct Pair {
    var random = SeededRandom(seed: 99)
    let initiatorStatic: PrivateKey
    let responderStatic: PrivateKey
    let psk: [UInt8]
    var initiator: HandshakeState
    var responder: HandshakeState

    init(prologue: [UInt8] = Array("meshd".utf8), responderPrologue: [UInt8]? = nil) throws {
      var random = SeededRandom(seed: 5)
      initiatorStatic = PrivateKey.generate(using: &random)
      responderStatic = PrivateKey.generate(using: &random)
      psk = random.bytes(32)
      initiator = try HandshakeState(
        pattern: .IXpsk2, initiator: true, prologue: prologue, localStatic: initiatorStatic,
        psk: psk)
      responder = try HandshakeState(
        pattern: .IXpsk2, initiator: false, prologue: responderPrologue ?? prologue,
        localStatic: responderStatic, psk: psk)
    }
  }

  @Test func ixpsk2RoundTripAndOrientedKeys() throws {
    var pair = try Pair()
    #expect(pair.initiator.isWriteTurn && !pair.responder.isWriteTurn)
    let message1 = try pair.initiator.writeMessage(payload: [1], random: &pair.random)
    #expect(message1.count == 32 + 48 + 1 + 16)  // psk: e keys the cipher, s is sealed
    #expect(try pair.responder.readMessage(message1) == [1])
    #expect(pair.responder.remoteStaticKey == pair.initiatorStatic.publicKey)
    let message2 = try pair.responder.writeMessage(payload: [2, 2], random: &pair.random)
    #expect(message2.count == 32 + 48 + 2 + 16)
    #expect(try pair.initiator.readMessage(message2) == [2, 2])
    #expect(pair.initiator.remoteStaticKey == pair.responderStatic.publicKey)
    #expect(pair.initiator.isComplete && pair.responder.isComplete)
    #expect(pair.initiator.handshakeHash == pair.responder.handshakeHash)
    #expect(pair.initiator.handshakeHash.count == HandshakeState.hashLength)

    let initiatorKeys = try pair.initiator.splitKeys()
    let responderKeys = try pair.responder.splitKeys()
    #expect(initiatorKeys.send == responderKeys.receive)
    #expect(initiatorKeys.receive == responderKeys.send)
    #expect(initiatorKeys.send != initiatorKeys.receive)
    var ciphers = try pair.initiator.split()
    #expect(ciphers.send.key == initiatorKeys.send)
    var responderCiphers = try pair.responder.split()
    let sealed = try ciphers.send.encryptWithAd([], [9, 9])
    #expect(try responderCiphers.receive.decryptWithAd([], sealed) == [9, 9])
  }

  @Test func turnsAndStatesAreEnforced() throws {
    var pair = try Pair()
    #expect(throws: NoiseError.wrongTurn) {
      try pair.responder.writeMessage(payload: [], random: &pair.random)
    }
    #expect(throws: NoiseError.wrongTurn) {
      try pair.initiator.readMessage([UInt8](repeating: 0, count: 96))
    }
    #expect(throws: NoiseError.handshakeIncomplete) { try pair.initiator.split() }
    let message1 = try pair.initiator.writeMessage(payload: [], random: &pair.random)
    #expect(throws: NoiseError.wrongTurn) {
      try pair.initiator.writeMessage(payload: [], random: &pair.random)
    }
    _ = try pair.responder.readMessage(message1)
    let message2 = try pair.responder.writeMessage(payload: [], random: &pair.random)
    _ = try pair.initiator.readMessage(message2)
    #expect(throws: NoiseError.handshakeComplete) { try pair.initiator.readMessage(message2) }
    #expect(throws: NoiseError.handshakeComplete) {
      try pair.responder.writeMessage(payload: [], random: &pair.random)
    }
  }

  @Test func keysMustFitThePattern() {
    let key = PrivateKey.generate()
    let psk = [UInt8](repeating: 3, count: 32)
    #expect(throws: NoiseError.missingKey("psk")) {
      try HandshakeState(pattern: .IXpsk2, initiator: true, localStatic: key)
    }
    #expect(throws: NoiseError.invalidPSK) {
      try HandshakeState(pattern: .IXpsk2, initiator: true, localStatic: key, psk: [1, 2])
    }
    #expect(throws: NoiseError.unexpectedKey("psk")) {
      try HandshakeState(pattern: .IX, initiator: true, localStatic: key, psk: psk)
    }
    #expect(throws: NoiseError.missingKey("localStatic")) {
      try HandshakeState(pattern: .IXpsk2, initiator: false, psk: psk)
    }
    #expect(throws: NoiseError.missingKey("remoteStatic")) {
      try HandshakeState(pattern: .IK, initiator: true, localStatic: key)
    }
    #expect(throws: NoiseError.self) {
      try HandshakeState(
        pattern: .IXpsk2, initiator: true, localStatic: key, remoteStatic: key.publicKey,
        psk: psk)
    }
  }

  @Test func failedReadsLeaveTheStateUsable() throws {
    var pair = try Pair()
    let message1 = try pair.initiator.writeMessage(payload: [7, 7, 7], random: &pair.random)
    #expect(throws: NoiseError.messageTooShort) { try pair.responder.readMessage([]) }
    #expect(throws: NoiseError.messageTooShort) {
      try pair.responder.readMessage(Array(message1.prefix(40)))
    }
    #expect(throws: NoiseError.messageTooShort) {
      try pair.responder.readMessage(Array(message1.prefix(64 + 15)))
    }
    for index in [0, 40, message1.count - 1] {
      var tampered = message1
      tampered[index] ^= 0x80
      #expect(throws: NoiseError.decryptFailed) { try pair.responder.readMessage(tampered) }
    }
    #expect(throws: NoiseError.messageTooLong) {
      try pair.responder.readMessage(
        [UInt8](repeating: 0, count: HandshakeState.maxMessageLength + 1))
    }
    #expect(pair.responder.messageIndex == 0)
    #expect(try pair.responder.readMessage(message1) == [7, 7, 7])
  }

  @Test func lowOrderEphemeralIsRefused() throws {
    var pair = try Pair()
    let message1 = try pair.initiator.writeMessage(payload: [], random: &pair.random)
    _ = try pair.responder.readMessage(message1)
    var message2 = try pair.responder.writeMessage(payload: [], random: &pair.random)
    for index in 0..<32 { message2[index] = 0 }
    #expect(throws: NoiseError.lowOrderPoint) { try pair.initiator.readMessage(message2) }
    #expect(!pair.initiator.isComplete)
  }

  @Test func prologueMismatchFails() throws {
    var pair = try Pair(prologue: [1], responderPrologue: [2])
    let message1 = try pair.initiator.writeMessage(payload: [], random: &pair.random)
    #expect(throws: NoiseError.decryptFailed) { try pair.responder.readMessage(message1) }
  }

  @Test func oversizedPayloadIsRefused() throws {
    var pair = try Pair()
    let big = [UInt8](repeating: 0, count: HandshakeState.maxMessageLength - 96 + 1)
    #expect(throws: NoiseError.messageTooLong) {
      try pair.initiator.writeMessage(payload: big, random: &pair.random)
    }
    #expect(pair.initiator.messageIndex == 0)
    let fits = [UInt8](repeating: 0, count: HandshakeState.maxMessageLength - 96)
    let message = try pair.initiator.writeMessage(payload: fits, random: &pair.random)
    #expect(message.count == HandshakeState.maxMessageLength)
  }

  @Test func randomGarbageNeverCrashes() throws {
    var random = SeededRandom(seed: 1234)
    let pair = try Pair()
    for _ in 0..<2000 {
      var responder = pair.responder
      let length = Int(random.uniform(200))
      let garbage = random.bytes(length)
      #expect(throws: NoiseError.self) { try responder.readMessage(garbage) }
    }
  }

  @Test func patternsAndNames() {
    #expect(NoisePattern.IXpsk2.protocolName == "Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b")
    #expect(NoisePattern.named("IKpsk2") == .IKpsk2)
    #expect(NoisePattern.named("Noise_XX_25519_ChaChaPoly_BLAKE2b") == .XX)
    #expect(NoisePattern.named("KK") == nil)
    #expect(NoisePattern.IXpsk2.hasPSK && !NoisePattern.IX.hasPSK)
  }

  @Test func wipeClearsSecrets() throws {
    var pair = try Pair()
    pair.initiator.wipe()
    #expect(pair.initiator.handshakeHash == [UInt8](repeating: 0, count: 64))
  }
}
