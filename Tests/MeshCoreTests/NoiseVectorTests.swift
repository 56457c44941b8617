import Foundation
import MeshCore
import Testing

/// Reproduces the cacophony Noise vectors for the 25519/ChaChaPoly/BLAKE2b suite byte for
/// byte: every handshake message, the handshake hash, and the transport messages after it.
@Suite struct NoiseVectorTests {
  /// One vector from the JSON file.
  struct Vector {
    let protocolName: String
    let fields: [String: Any]
    let messages: [(payload: [UInt8], ciphertext: [UInt8])]
    let handshakeHash: [UInt8]

    func bytes(_ key: String) throws -> [UInt8]? {
      guard let text = fields[key] as? String else { return nil }
      let value: [UInt8] = try #require(Hex.decode(text), "\(protocolName): \(key) is not hex")
      return value
    }

    func firstPSK(_ key: String) throws -> [UInt8]? {
      guard let list = fields[key] as? [String] else { return nil }
      #expect(list.count == 1, "\(protocolName): expected one PSK in \(key)")
      guard let first = list.first else { return nil }
      let value: [UInt8] = try #require(Hex.decode(first))
      return value
    }
  }

  /// Loads the vector file, failing loudly (with the paths tried) when it is absent.
  static func loadVectors() throws -> [Vector] {
    let url = TestPaths.noiseVectors()
    let exists = FileManager.default.fileExists(atPath: url.path)
    try #require(
      exists,
      """
      Noise test vectors not found at \(url.path). They live in Tests/MeshCoreTests/Fixtures/ \
      in the repository; set MESHD_VECTORS to the file or its directory to override.
      """)
    let data = try Data(contentsOf: url)
    let root = try #require(
      try JSONSerialization.jsonObject(with: data) as? [String: Any], "vector file is not a map")
    let list = try #require(root["vectors"] as? [[String: Any]], "no \"vectors\" array")
    return try list.map { fields in
      let name = try #require(fields["protocol_name"] as? String)
      let rawMessages = try #require(fields["messages"] as? [[String: String]])
      let messages = try rawMessages.map { message in
        (
          payload: try #require(Hex.decode(message["payload"] ?? "")),
          ciphertext: try #require(Hex.decode(message["ciphertext"] ?? ""))
        )
      }
      let hash = try #require(Hex.decode(fields["handshake_hash"] as? String ?? ""))
      return Vector(protocolName: name, fields: fields, messages: messages, handshakeHash: hash)
    }
  }

  @Test func allSevenVectorsArePresent() throws {
    let names = Set(try Self.loadVectors().map(\.protocolName))
    let expected = Set(NoisePattern.all.map(\.protocolName))
    #expect(names == expected)
  }

  @Test func vectorsReproduceByteForByte() throws {
    let vectors = try Self.loadVectors()
    #expect(vectors.count == 7)
    for vector in vectors {
      try check(vector)
    }
  }

  /// Runs both sides of one vector and compares every output.
  func check(_ vector: Vector) throws {
    let name = vector.protocolName
    let pattern = try #require(NoisePattern.named(name), "unknown pattern \(name)")
    var initiator = try HandshakeState(
      pattern: pattern, initiator: true,
      prologue: try vector.bytes("init_prologue") ?? [],
      localStatic: try vector.bytes("init_static").map { try PrivateKey(bytes: $0) },
      localEphemeral: try vector.bytes("init_ephemeral").map { try PrivateKey(bytes: $0) },
      remoteStatic: try vector.bytes("init_remote_static").flatMap { PublicKey(bytes: $0) },
      psk: try vector.firstPSK("init_psks"))
    var responder = try HandshakeState(
      pattern: pattern, initiator: false,
      prologue: try vector.bytes("resp_prologue") ?? [],
      localStatic: try vector.bytes("resp_static").map { try PrivateKey(bytes: $0) },
      localEphemeral: try vector.bytes("resp_ephemeral").map { try PrivateKey(bytes: $0) },
      remoteStatic: try vector.bytes("resp_remote_static").flatMap { PublicKey(bytes: $0) },
      psk: try vector.firstPSK("resp_psks"))

    var random = SeededRandom(seed: 1)  // unused: every ephemeral is injected
    let handshakeCount = pattern.messages.count
    #expect(vector.messages.count > handshakeCount, "\(name): no transport messages")
    for (index, message) in vector.messages.prefix(handshakeCount).enumerated() {
      let fromInitiator = index % 2 == 0
      let written =
        fromInitiator
        ? try initiator.writeMessage(payload: message.payload, random: &random)
        : try responder.writeMessage(payload: message.payload, random: &random)
      #expect(
        Hex.encode(written) == Hex.encode(message.ciphertext), "\(name): handshake message \(index)"
      )
      let read =
        fromInitiator ? try responder.readMessage(written) : try initiator.readMessage(written)
      #expect(read == message.payload, "\(name): payload of handshake message \(index)")
    }
    #expect(initiator.isComplete && responder.isComplete, "\(name): handshake not complete")
    #expect(Hex.encode(initiator.handshakeHash) == Hex.encode(vector.handshakeHash), "\(name): h")
    #expect(responder.handshakeHash == initiator.handshakeHash, "\(name): responder h")
    if let responderStatic = try vector.bytes("resp_static") {
      let expected = try PrivateKey(bytes: responderStatic).publicKey
      #expect(initiator.remoteStaticKey == expected, "\(name): initiator learned rs")
    }

    var initiatorCiphers = try initiator.split()
    var responderCiphers = try responder.split()
    for index in handshakeCount..<vector.messages.count {
      let message = vector.messages[index]
      let fromInitiator = index % 2 == 0
      let sealed =
        fromInitiator
        ? try initiatorCiphers.send.encryptWithAd([], message.payload)
        : try responderCiphers.send.encryptWithAd([], message.payload)
      #expect(
        Hex.encode(sealed) == Hex.encode(message.ciphertext), "\(name): transport message \(index)")
      let opened =
        fromInitiator
        ? try responderCiphers.receive.decryptWithAd([], sealed)
        : try initiatorCiphers.receive.decryptWithAd([], sealed)
      #expect(opened == message.payload, "\(name): transport payload \(index)")
    }
  }
}
