import Foundation
import MeshCore
import Testing

/// Runs meshd's handshake, Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b, against Python's
/// `noiseprotocol` in both roles, with random keys and payloads, and compares payloads,
/// handshake hashes and transport messages.
@Suite(.serialized) struct NoiseCrossCheckTests {
  /// Fails the test (never skips it) when the independent implementation is missing.
  func requirePython() throws {
    let problem = NoisePythonPeer.availabilityProblem()
    try #require(problem == nil, "\(problem ?? "")")
  }

  /// Random keys and prologue for one run.
  struct Setup {
    var random = SystemRandom()
    let swiftStatic = PrivateKey.generate()
    let pythonStatic = PrivateKey.generate()
    let psk = SymmetricKey.generate().bytes
    let prologue: [UInt8]

    init() {
      var random = SystemRandom()
      prologue = random.bytes(Int(random.uniform(40)))
    }

    mutating func payload(maxLength: Int = 300) -> [UInt8] {
      random.bytes(Int(random.uniform(UInt32(maxLength + 1))))
    }
  }

  @Test(arguments: [true, false])
  func handshakeAndTransportInterop(swiftIsInitiator: Bool) throws {
    try requirePython()
    for _ in 0..<3 {
      var setup = Setup()
      let python = try NoisePythonPeer(
        role: swiftIsInitiator ? "responder" : "initiator",
        staticKey: setup.pythonStatic.bytes, psk: setup.psk, prologue: setup.prologue)
      defer { python.finish() }
      var swift = try HandshakeState(
        pattern: .IXpsk2, initiator: swiftIsInitiator, prologue: setup.prologue,
        localStatic: setup.swiftStatic, psk: setup.psk)

      let first = setup.payload()
      let second = setup.payload()
      if swiftIsInitiator {
        let message1 = try swift.writeMessage(payload: first, random: &setup.random)
        #expect(try python.call("R", message1) == first)
        let message2 = try python.call("W", second)
        #expect(try swift.readMessage(message2) == second)
      } else {
        let message1 = try python.call("W", first)
        #expect(try swift.readMessage(message1) == first)
        let message2 = try swift.writeMessage(payload: second, random: &setup.random)
        #expect(try python.call("R", message2) == second)
      }
      #expect(swift.isComplete)
      #expect(try python.call("H") == swift.handshakeHash)
      #expect(swift.remoteStaticKey == setup.pythonStatic.publicKey)

      var ciphers = try swift.split()
      for round in 0..<6 {
        let outgoing = round == 5 ? setup.random.bytes(1400) : setup.payload()
        let sealed = try ciphers.send.encryptWithAd([], outgoing)
        #expect(try python.call("D", sealed) == outgoing, "Swift to Python, round \(round)")
        let incoming = setup.payload()
        let fromPython = try python.call("E", incoming)
        #expect(try ciphers.receive.decryptWithAd([], fromPython) == incoming, "round \(round)")
      }
    }
  }

  @Test func wrongPSKFailsInBothRoles() throws {
    try requirePython()
    var setup = Setup()
    let otherPSK = SymmetricKey.generate().bytes

    // Swift initiates with the wrong PSK: message 2 from Python does not authenticate.
    let responder = try NoisePythonPeer(
      role: "responder", staticKey: setup.pythonStatic.bytes, psk: otherPSK,
      prologue: setup.prologue)
    defer { responder.finish() }
    var initiator = try HandshakeState(
      pattern: .IXpsk2, initiator: true, prologue: setup.prologue,
      localStatic: setup.swiftStatic, psk: setup.psk)
    let message1 = try initiator.writeMessage(payload: [1, 2, 3], random: &setup.random)
    _ = try responder.call("R", message1)
    let message2 = try responder.call("W", [4, 5, 6])
    #expect(throws: NoiseError.decryptFailed) { try initiator.readMessage(message2) }
    #expect(!initiator.isComplete)

    // Python initiates with the wrong PSK: Python rejects Swift's message 2.
    let pythonInitiator = try NoisePythonPeer(
      role: "initiator", staticKey: setup.pythonStatic.bytes, psk: otherPSK,
      prologue: setup.prologue)
    defer { pythonInitiator.finish() }
    var swiftResponder = try HandshakeState(
      pattern: .IXpsk2, initiator: false, prologue: setup.prologue,
      localStatic: setup.swiftStatic, psk: setup.psk)
    _ = try swiftResponder.readMessage(try pythonInitiator.call("W", [7]))
    let reply = try swiftResponder.writeMessage(payload: [8], random: &setup.random)
    #expect(throws: NoisePythonPeer.PeerError.self) { try pythonInitiator.call("R", reply) }
  }
}
