import MeshCore
import Testing

@Suite("Engine handshake and transport")
struct EngineHandshakeTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let macA = MACAddress(0x02, 0, 0, 0, 0, 0xA)
  let macB = MACAddress(0x02, 0, 0, 0, 0, 0xB)

  func pair() -> (Network, Endpoint, Endpoint) {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(0.5)
    return (net, a, b)
  }

  @Test func handshakeEstablishesBothSides() {
    let (net, a, b) = pair()
    #expect(net.established(a, b))
    #expect(net.established(b, a))
    let peerOfA = net.status(a).peers.first!
    #expect(peerOfA.handshakesCompleted == 1)
    #expect(peerOfA.id == net.status(b).id)
    #expect(peerOfA.nickname == "host2")
  }

  @Test func framesFlowBothWaysAndAreLearned() {
    var (net, a, b) = pair()
    net.sendFrame(from: a, ethernetFrame(dst: .broadcast, src: macA))
    #expect(net.outputs[b]!.delivered.count == 1)
    net.sendFrame(from: b, ethernetFrame(dst: macA, src: macB, payload: Array("pong".utf8)))
    #expect(
      net.outputs[a]!.delivered.last
        == ethernetFrame(dst: macA, src: macB, payload: Array("pong".utf8)))
    #expect(net.status(a).macTableSize == 2)
    let s = net.status(b).peers.first!
    #expect(s.rxFrames == 1 && s.txFrames == 1)
  }

  @Test func wrongSecretGetsNoSessionAndCountsMac1() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let c = net.add(3, secret: try! SymmetricKey(bytes: Array(repeating: 9, count: 32)))
    net.hosts[c]!.connect(a, now: net.clock.now())
    net.advance(12)
    #expect(!net.established(c, a))
    #expect(net.status(a).peers.isEmpty)
    #expect(net.status(a).drops[.mac1] >= 2)
    net.sendFrame(from: c, ethernetFrame(dst: .broadcast, src: macB))
    #expect(net.outputs[a]!.delivered.isEmpty)
  }

  @Test func responderSendsNoDataBeforeConfirmation() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.hosts[a]!.tick(now: net.clock.now(), out: &net.outputs[a]!)
    // Deliver only the initiation to B; hold everything else.
    let initiation = net.outputs[a]!.sent.removeFirst()
    var bytes = initiation.bytes
    bytes.withUnsafeMutableBytes {
      net.hosts[b]!.receive($0, from: a, now: net.clock.now(), out: &net.outputs[b]!)
    }
    net.hosts[b]!.processHandshakes(now: net.clock.now(), out: &net.outputs[b]!)
    #expect(net.outputs[b]!.sent.count == 1)  // the response
    net.outputs[b]!.sent.removeAll()
    net.sendFrame(from: b, ethernetFrame(dst: .broadcast, src: macB))
    #expect(net.outputs[b]!.sent.isEmpty)
    #expect(net.status(b).drops[.noSession] == 1)
  }

  @Test func replayedInitiationCreatesNothing() {
    var (net, a, b) = pair()
    let initiation = net.wire.first { $0.from == a && $0.bytes[0] == 1 }!
    let before = net.status(b).peers.first!.handshakesCompleted
    var bytes = initiation.bytes
    bytes.withUnsafeMutableBytes {
      net.hosts[b]!.receive($0, from: a, now: net.clock.now(), out: &net.outputs[b]!)
    }
    net.hosts[b]!.processHandshakes(now: net.clock.now(), out: &net.outputs[b]!)
    #expect(net.outputs[b]!.sent.isEmpty)
    #expect(net.status(b).drops[.replayedInitiation] == 1)
    #expect(net.status(b).peers.first!.handshakesCompleted == before)
  }

  @Test func tamperedAndReplayedTransportAreDropped() {
    var (net, a, b) = pair()
    net.sendFrame(from: a, ethernetFrame(dst: .broadcast, src: macA))
    let data = net.wire.last { $0.from == a && $0.bytes[0] == 4 }!
    var replayed = data.bytes
    replayed.withUnsafeMutableBytes {
      net.hosts[b]!.receive($0, from: a, now: net.clock.now(), out: &net.outputs[b]!)
    }
    net.hosts[b]!.processHandshakes(now: net.clock.now(), out: &net.outputs[b]!)
    #expect(net.status(b).drops[.replay] == 1)
    // A fresh counter gets past the replay window; then the tag must fail, whichever bit of
    // the counter (the nonce) or the ciphertext was flipped.
    for position in [8, 20, data.bytes.count - 1] {
      var flipped = data.bytes
      flipped[9] ^= 0x01
      flipped[position] ^= 0x40
      flipped.withUnsafeMutableBytes {
        net.hosts[b]!.receive($0, from: a, now: net.clock.now(), out: &net.outputs[b]!)
      }
      net.hosts[b]!.processHandshakes(now: net.clock.now(), out: &net.outputs[b]!)
    }
    #expect(net.status(b).drops[.authentication] == 3)
    #expect(net.outputs[b]!.delivered.count == 1)
  }

  @Test func simultaneousInitiationConverges() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.hosts[b]!.connect(a, now: net.clock.now())
    net.advance(1)
    #expect(net.established(a, b) && net.established(b, a))
    for i in 0..<5 {
      net.sendFrame(from: a, ethernetFrame(dst: macB, src: macA, payload: [UInt8(i)]))
      net.sendFrame(from: b, ethernetFrame(dst: macA, src: macB, payload: [UInt8(i)]))
    }
    #expect(net.outputs[a]!.delivered.count == 5)
    #expect(net.outputs[b]!.delivered.count == 5)
    #expect(net.status(a).peers.count == 1 && net.status(b).peers.count == 1)
  }

  @Test func garbageNeverCrashesAndIsCounted() {
    var (net, a, b) = pair()
    var random = SeededRandom(seed: 42)
    for n in 0..<2000 {
      var junk = random.bytes(Int(random.uniform(200)))
      if !junk.isEmpty { junk[0] = UInt8(n % 6) }
      if junk.count > 3 { junk[1] = 0; junk[2] = 0; junk[3] = 0 }
      junk.withUnsafeMutableBytes {
        net.hosts[b]!.receive($0, from: a, now: net.clock.now(), out: &net.outputs[b]!)
      }
      net.hosts[b]!.processHandshakes(now: net.clock.now(), out: &net.outputs[b]!)
    }
    #expect(net.status(b).drops.total >= 2000)
    #expect(net.outputs[b]!.delivered.isEmpty)
    net.sendFrame(from: a, ethernetFrame(dst: .broadcast, src: macA))
    #expect(net.outputs[b]!.delivered.count == 1)
  }

  @Test func linkLocalControlFramesAreNotForwarded() {
    var (net, a, b) = pair()
    net.sendFrame(from: a, ethernetFrame(dst: MACAddress(0x01, 0x80, 0xC2, 0, 0, 0), src: macA))
    #expect(net.outputs[b]!.delivered.isEmpty)
    #expect(net.status(a).drops[.linkLocal] == 1)
  }

  @Test func forgetDropsThePeer() {
    var (net, a, b) = pair()
    let found = net.hosts[a]!.forget(b)
    #expect(found)
    #expect(net.status(a).peers.isEmpty)
  }
}

@Suite("Engine admission: allow-list and secret rotation")
struct EngineAdmissionTests {
  let s1 = try! SymmetricKey(bytes: Array(repeating: 1, count: 32))
  let s2 = try! SymmetricKey(bytes: Array(repeating: 2, count: 32))

  @Test func removingAKeyFromTheAllowListCutsThePeerOff() {
    var net = Network()
    let a = net.add(1, secret: s1)
    let b = net.add(2, secret: s1)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    #expect(net.established(a, b))
    let keyA = try! PublicKey(base64: net.status(a).publicKey)
    net.hosts[a]!.setAllowedKeys([keyA])  // B is no longer allowed
    #expect(net.status(a).peers.allSatisfy { $0.endpoint != b || $0.state == "connecting" })
    net.advance(30, step: 0.5)
    #expect(!net.established(a, b))
    #expect(net.status(a).drops[.notAllowed] >= 1)
  }

  @Test func rotatingTheSecretHostByHostKeepsSessions() {
    var net = Network()
    let a = net.add(1, secret: s1, timers: .rekeying(after: 3))
    let b = net.add(2, secret: s1, timers: .rekeying(after: 3))
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    let macA = MACAddress(0x02, 0, 0, 0, 0, 0xA)
    var sent = 0
    func traffic(_ seconds: Int) {
      for _ in 0..<(seconds * 10) {
        net.sendFrame(from: a, ethernetFrame(dst: .broadcast, src: macA))
        sent += 1
        net.advance(0.1)
      }
    }
    // Step 1: every host accepts both; step 2: every host sends with the new one; step 3:
    // the old one is dropped.
    net.hosts[a]!.setClusterSecrets([s1, s2])
    net.hosts[b]!.setClusterSecrets([s1, s2])
    traffic(5)
    net.hosts[a]!.setClusterSecrets([s2, s1])
    traffic(5)
    net.hosts[b]!.setClusterSecrets([s2, s1])
    traffic(5)
    net.hosts[a]!.setClusterSecrets([s2])
    net.hosts[b]!.setClusterSecrets([s2])
    traffic(10)
    #expect(net.outputs[b]!.delivered.count == sent)
    #expect(net.status(a).peers.first!.handshakesCompleted >= 6)
  }
}
