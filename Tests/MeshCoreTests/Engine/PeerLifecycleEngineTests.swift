import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// A peer's lifecycle as the engine lives it, on the in-memory network and the fake clock:
/// which phase a peer is in after each step, and what the engine reports and sends for it.
@Suite("Peer lifecycle through the engine")
struct PeerLifecycleEngineTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// The phase in which host `host` holds the peer at `peer`.
  func phase(_ net: Network, _ host: Endpoint, of peer: PeerID) -> PeerPhase? {
    net.hosts[host]!.peers[peer]?.phase
  }

  /// The status state host `host` shows for endpoint `peer`.
  func state(_ net: Network, _ host: Endpoint, of peer: Endpoint) -> String? {
    net.status(host).peers.first { $0.endpoint == peer }?.state
  }

  /// Delivers one datagram by hand, bypassing any cut.
  func deliver(_ bytes: [UInt8], from: Endpoint, to: Endpoint, in net: inout Network) {
    var copy = bytes
    copy.withUnsafeMutableBytes { buf in
      net.hosts[to]!.receive(buf, from: from, now: net.clock.now(), out: &net.outputs[to]!)
    }
    net.hosts[to]!.processHandshakes(now: net.clock.now(), out: &net.outputs[to]!)
  }

  @Test func aDialBecomesAKnownPeerThatComesUpOnBothSides() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let (idA, idB) = (net.hosts[a]!.id, net.hosts[b]!.id)
    net.hosts[a]!.connect(b, now: net.clock.now())
    #expect(state(net, a, of: b) == "connecting")

    // A's first attempt reaches B, which answers but commits nothing of what the initiation
    // claimed until A proves its key: B does not know A yet, it holds the answer.
    net.clock.advance(0.1)
    let upInstant = net.clock.now()
    net.hosts[a]!.tick(now: upInstant, out: &net.outputs[a]!)
    let pending = net.hosts[a]!.dials[b]?.pendingInitiation
    #expect(pending.map { net.hosts[a]!.initiations[$0] != nil } == true)
    let initiations = net.outputs[a]!.sent.filter { $0.to == b && $0.bytes[0] == 1 }
    net.outputs[a]!.sent.removeAll()
    #expect(initiations.count == 1)
    deliver(initiations[0].bytes, from: a, to: b, in: &net)
    #expect(phase(net, b, of: idA) == nil)
    #expect(state(net, b, of: a) == nil)
    #expect(net.hosts[b]!.pendingResponses.values.map(\.peer) == [idA])
    #expect(net.hosts[b]!.upPeerEndpoints.isEmpty)

    // A takes the answer: the dial has become peer B, up at once; A's keepalive confirms B.
    net.run()
    #expect(net.hosts[a]!.dials.isEmpty)
    #expect(phase(net, a, of: idB) == .up(since: upInstant))
    #expect(net.hosts[a]!.peers[idB]?.pendingInitiation == nil)
    #expect(phase(net, b, of: idA) == .up(since: upInstant))
    #expect(state(net, a, of: b) == "established" && state(net, b, of: a) == "established")
    #expect(net.hosts[a]!.upPeerEndpoints == [idB: b])
    #expect(net.hosts[b]!.upPeerEndpoints == [idA: a])
    #expect(net.outputs[a]!.events.contains(.peerUp(idB, nickname: "host2", endpoint: b)))
    #expect(net.outputs[b]!.events.contains(.peerUp(idA, nickname: "host1", endpoint: a)))
  }

  @Test func aSilentPeerGoesDownAfterTheDeadPeerTimeoutRetriesAndComesBack() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let idB = net.hosts[b]!.id
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    let lastHeard = net.hosts[a]!.peers[idB]!.lastReceived
    net.cut = [b]
    net.advance(13.5)  // 14.4 s of silence: not dead yet
    #expect(phase(net, a, of: idB)?.isUp == true)
    #expect(!net.outputs[a]!.events.contains { $0.downPeer == idB })

    net.advance(1)  // past the dead-peer timeout of 15 s
    guard case .handshaking(let retry)? = phase(net, a, of: idB) else {
      Issue.record("not handshaking: \(String(describing: phase(net, a, of: idB)))")
      return
    }
    #expect(abs(retry.started.seconds(since: lastHeard) - 15) < 0.11)
    // The first attempt went out at once; the next is a rekey timeout plus jitter away.
    let wait = retry.nextAttempt.seconds(since: retry.started)
    #expect(wait >= 5 && wait <= 5.333)
    #expect(net.outputs[a]!.events.filter { $0.downPeer == idB }.count == 1)
    #expect(state(net, a, of: b) == "down")
    #expect(net.hosts[a]!.upPeerEndpoints.isEmpty)

    net.cut = []
    net.advance(6)
    guard case .up? = phase(net, a, of: idB) else {
      Issue.record("not up again: \(String(describing: phase(net, a, of: idB)))")
      return
    }
    #expect(net.outputs[a]!.events.filter { $0.downPeer == idB }.count == 1)
    #expect(
      net.outputs[a]!.events.filter { if case .peerUp = $0 { true } else { false } }.count == 2)
    #expect(net.hosts[a]!.upPeerEndpoints == [idB: b])
  }

  @Test func twoDownHostsThatHearEachOtherOnTheOldSessionStillHandshake() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let (idA, idB) = (net.hosts[a]!.id, net.hosts[b]!.id)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    net.cut = [b]
    net.advance(20)  // both ends give the other up as dead
    #expect(phase(net, a, of: idB)?.isUp == false && phase(net, b, of: idA)?.isUp == false)
    // The partition heals; the first thing across is traffic on the old session, both ways.
    net.cut = []
    net.hosts[a]!.sendKeepalive(to: idB, now: net.clock.now(), out: &net.outputs[a]!)
    net.hosts[b]!.sendKeepalive(to: idA, now: net.clock.now(), out: &net.outputs[b]!)
    net.run()
    // Each keeps attempting, so both are up again within a retry interval, not at rekey time.
    net.advance(6)
    #expect(net.established(a, b) && net.established(b, a))
    #expect(net.status(a).peers.first!.handshakesCompleted >= 2)
  }

  @Test func aRekeyKeepsThePeerUpAndItsUpInstant() {
    var net = Network()
    let a = net.add(1, secret: secret, timers: .rekeying(after: 5))
    let b = net.add(2, secret: secret, timers: .rekeying(after: 5))
    let idB = net.hosts[b]!.id
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    guard case .up(let since)? = phase(net, a, of: idB) else {
      Issue.record("not up")
      return
    }
    net.cut = [b]  // the rekey's first attempt is lost
    net.advance(5)
    guard case .rekeying(since, let retry)? = phase(net, a, of: idB) else {
      Issue.record("not rekeying: \(String(describing: phase(net, a, of: idB)))")
      return
    }
    #expect(abs(retry.started.seconds(since: since) - 5) < 0.11)
    #expect(state(net, a, of: b) == "established")
    #expect(net.hosts[a]!.upPeerEndpoints == [idB: b])

    net.cut = []
    net.advance(6)
    #expect(phase(net, a, of: idB) == .up(since: since))
    #expect(net.outputs[a]!.events.contains(.rekeyed(idB)))
    #expect(!net.outputs[a]!.events.contains { $0.downPeer == idB })
  }

  @Test func aRekeyingPeerThatDiesGoesDownAndKeepsItsSeries() {
    var net = Network()
    let a = net.add(1, secret: secret, timers: .rekeying(after: 5))
    let b = net.add(2, secret: secret, timers: .rekeying(after: 5))
    let idB = net.hosts[b]!.id
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    net.cut = [b]
    net.advance(6)
    let series = phase(net, a, of: idB)?.retry
    #expect(phase(net, a, of: idB)?.isUp == true && series != nil)
    net.advance(10)  // past the dead-peer timeout
    #expect(phase(net, a, of: idB)?.retry?.started == series?.started)
    #expect(phase(net, a, of: idB)?.isUp == false)
    #expect(net.outputs[a]!.events.filter { $0.downPeer == idB }.count == 1)
  }

  @Test func aGonePeerIsRetriedWithABackoffThatGrowsToTheCap() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let idB = net.hosts[b]!.id
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    net.hosts[b] = nil
    var backoffs: [Double] = []
    var starts: Set<MeshInstant> = []
    var attempts = 0
    for _ in 0..<3600 {  // one hour, one-second ticks
      net.clock.advance(1)
      net.hosts[a]!.tick(now: net.clock.now(), out: &net.outputs[a]!)
      attempts += net.outputs[a]!.sent.filter { $0.bytes[0] == 1 }.count
      net.outputs[a]!.sent.removeAll()
      guard let retry = phase(net, a, of: idB)?.retry else { continue }
      starts.insert(retry.started)
      if retry.backoff != 0, retry.backoff != backoffs.last { backoffs.append(retry.backoff) }
    }
    #expect(backoffs == [10, 20, 40, 80, 160, 320, 360])
    #expect(starts.count == 1)  // one series, never given up
    #expect(attempts > 25)
    #expect(state(net, a, of: b) == "down")
  }

  @Test func forgettingADialWithAnAttemptInFlightDropsTheAttempt() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let nowhere = Network.endpoint(9)
    net.hosts[a]!.connect(nowhere, now: net.clock.now())
    net.clock.advance(0.1)
    net.hosts[a]!.tick(now: net.clock.now(), out: &net.outputs[a]!)
    #expect(net.hosts[a]!.dials[nowhere]?.pendingInitiation != nil)
    #expect(net.hosts[a]!.initiations.count == 1)
    net.outputs[a]!.sent.removeAll()

    let forgotDial = net.hosts[a]!.forget(nowhere)
    #expect(forgotDial)
    #expect(net.hosts[a]!.dials.isEmpty && net.hosts[a]!.initiations.isEmpty)
    #expect(net.hosts[a]!.knownEndpoints.isEmpty)
    net.advance(60, step: 0.5)
    #expect(net.outputs[a]!.sent.isEmpty)
    #expect(net.status(a).peers.isEmpty)
  }

  @Test func aLateAnswerToAForgottenPeersAttemptDoesNotBringItBack() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let idB = net.hosts[b]!.id
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(1)
    net.cut = [b]
    net.advance(20)
    let pending = net.hosts[a]!.peers[idB]?.pendingInitiation
    #expect(pending != nil && phase(net, a, of: idB)?.isUp == false)
    let lost = net.wire.last { $0.from == a && $0.to == b && $0.bytes[0] == 1 }!

    let forgotPeer = net.hosts[a]!.forget(b)
    #expect(forgotPeer)
    #expect(net.hosts[a]!.peers.isEmpty && net.hosts[a]!.initiations.isEmpty)
    // The attempt reaches B after all; B's answer finds nothing waiting for it at A.
    deliver(lost.bytes, from: a, to: b, in: &net)
    let answers = net.outputs[b]!.sent.filter { $0.to == a && $0.bytes[0] == 2 }
    #expect(answers.count == 1)
    let unknownBefore = net.status(a).drops[.unknownIndex]
    let eventsBefore = net.outputs[a]!.events.count
    deliver(answers[0].bytes, from: b, to: a, in: &net)
    #expect(net.hosts[a]!.peers.isEmpty)
    #expect(net.status(a).drops[.unknownIndex] == unknownBefore + 1)
    #expect(net.outputs[a]!.events.count == eventsBefore)
  }
}
