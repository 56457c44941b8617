import MeshCore
import Testing

@testable import MeshLogic
@testable import MeshProtocol

/// Message 1 of IXpsk2 proves nothing about the static key it carries: a member that names
/// another member's key must not move that member's endpoint, burn its replay timestamp or
/// create state that outlives the forgery.
@Suite("Engine: forged initiations commit nothing")
struct ForgedInitiationTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// Noise message 1 written by hand with `victim` as the static key: in IX, `e, s` come before
  /// any Diffie-Hellman, so anyone can write it.
  func forgedInitiation(naming victim: PublicKey, timestamp: UInt64) throws -> [UInt8] {
    var symmetric = SymmetricState(protocolName: MeshHandshake.pattern.protocolName)
    symmetric.mixHash(MeshHandshake.prologue)
    let ephemeral = PrivateKey.generate().publicKey.bytes
    symmetric.mixHash(ephemeral)
    symmetric.mixKey(ephemeral)
    let encryptedStatic = try symmetric.encryptAndHash(victim.bytes)
    let payload = HandshakePayload(timestamp: timestamp, nickname: "forged", endpoints: [])
    let encryptedPayload = try symmetric.encryptAndHash(try payload.encode())
    var message = try HandshakeInitiation(
      senderIndex: 0x1234_5678, noise: ephemeral + encryptedStatic + encryptedPayload
    ).encode()
    let key = MeshHandshake.mac1Key(secret)
    let engine = MeshEngine(
      configuration: MeshEngineConfiguration(
        privateKey: PrivateKey.generate(), nickname: "x", clusterSecrets: [secret]),
      clock: FakeClock(), random: SystemRandom())
    engine.writeMac1(&message, key: key)
    return message
  }

  @Test func aForgedInitiationMovesNothingAndLocksNobodyOut() throws {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let attacker = Endpoint("192.0.2.66:6786")!
    net.hosts[b]!.connect(a, now: net.clock.now())
    net.advance(2)
    #expect(net.established(a, b))
    let idB = net.hosts[b]!.id
    let keyB = net.hosts[b]!.publicKey
    let before = net.hosts[a]!.peers[idB]!.lastInitiationTimestamp

    for _ in 0..<20 {
      var forged = try forgedInitiation(naming: keyB, timestamp: UInt64.max - 1)
      forged.withUnsafeMutableBytes { buf in
        net.hosts[a]!.receive(buf, from: attacker, now: net.clock.now(), out: &net.outputs[a]!)
      }
      net.hosts[a]!.processHandshakes(now: net.clock.now(), out: &net.outputs[a]!)
      net.outputs[a]!.sent.removeAll { $0.to == attacker }
      net.advance(0.5)
    }
    // Nothing the forgery said was committed: B stays where it is, its replay timestamp is its
    // own, and the answers wait (bounded) for a confirmation that never comes.
    #expect(net.hosts[a]!.peers[idB]!.endpoint == b)
    #expect(net.hosts[a]!.peers[idB]!.lastInitiationTimestamp == before)
    #expect(!net.outputs[a]!.events.contains(.endpointChanged(idB, attacker)))
    #expect(net.established(a, b))

    // B's next honest handshake (a rekey) is accepted: no replayed_initiation.
    let replayed = net.status(a).drops[.replayedInitiation]
    net.hosts[b]!.forget(a)
    net.hosts[a]!.forget(b)
    net.hosts[b]!.connect(a, now: net.clock.now())
    net.advance(2)
    #expect(net.established(a, b))
    #expect(net.status(a).drops[.replayedInitiation] == replayed)

    // The unconfirmed answers expire.
    net.advance(MeshEngine.pendingResponseLifetime + 11)
    #expect(net.hosts[a]!.pendingResponses.isEmpty)
  }

  @Test func aPeerIsKnownOnlyOnceItConfirmedAndComesFromWhereItConfirmed() throws {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let idB = net.hosts[b]!.id
    // A forged initiation naming B (not yet known to A) creates no peer at A.
    var forged = try forgedInitiation(naming: net.hosts[b]!.publicKey, timestamp: 42)
    forged.withUnsafeMutableBytes { buf in
      net.hosts[a]!.receive(
        buf, from: Endpoint("192.0.2.66:6786")!, now: net.clock.now(), out: &net.outputs[a]!)
    }
    net.hosts[a]!.processHandshakes(now: net.clock.now(), out: &net.outputs[a]!)
    #expect(net.hosts[a]!.peers[idB] == nil)
    #expect(net.hosts[a]!.pendingResponses.count == 1)
    // The real B connects and proves its key: known, at its real endpoint.
    net.hosts[b]!.connect(a, now: net.clock.now())
    net.advance(2)
    #expect(net.hosts[a]!.peers[idB]?.endpoint == b)
    #expect(net.established(a, b))
  }

  @Test func answeredInitiationsAreBounded() throws {
    var net = Network()
    let a = net.add(1, secret: secret)
    let victim = PrivateKey.generate().publicKey
    for i in 0..<(MeshEngine.maxPendingResponses + 50) {
      var forged = try forgedInitiation(naming: victim, timestamp: UInt64(i + 1))
      forged.withUnsafeMutableBytes { buf in
        net.hosts[a]!.receive(
          buf, from: Endpoint("192.0.2.\(66 + i % 100):6786")!, now: net.clock.now(),
          out: &net.outputs[a]!)
      }
      net.hosts[a]!.processHandshakes(now: net.clock.now(), out: &net.outputs[a]!)
      net.outputs[a]!.sent.removeAll()
      if i % 100 == 0 { net.clock.advance(0.001) }
    }
    #expect(net.hosts[a]!.pendingResponses.count <= MeshEngine.maxPendingResponses)
    #expect(net.hosts[a]!.keypairs.count <= MeshEngine.maxPendingResponses)
  }
}
