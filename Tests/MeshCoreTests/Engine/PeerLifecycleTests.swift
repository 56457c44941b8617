import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// The pure parts of a peer's lifecycle: the retry schedules, the verdict on a peer's
/// sessions, and the phase transitions.
@Suite("Peer lifecycle: transitions")
struct PeerLifecycleTests {
  let t0 = MeshInstant(nanoseconds: 1_000_000_000)
  let timers = SessionTimers()

  // MARK: HandshakeRetry

  @Test func aNewSeriesIsDueAtOnceAndRetryNowMakesItDueAgain() {
    var r = HandshakeRetry(startingAt: t0)
    #expect(r.isDue(t0) && r.started == t0 && r.backoff == 0)
    r.scheduleAfterPeerAttempt(now: t0, timers: timers, cap: 360, jitterDraw: 0)
    #expect(!r.isDue(t0.adding(seconds: 4.9)) && r.isDue(t0.adding(seconds: 5)))
    r.retryNow(t0.adding(seconds: 1))
    #expect(r.isDue(t0.adding(seconds: 1)))
  }

  @Test func peerRetriesKeepTheRekeyPaceWithJitterDuringTheAttemptTime() {
    var r = HandshakeRetry(startingAt: t0)
    let low = r.scheduleAfterPeerAttempt(now: t0, timers: timers, cap: 360, jitterDraw: 0)
    #expect(low == 5 && r.backoff == 0 && r.nextAttempt == t0.adding(seconds: 5))
    let later = t0.adding(seconds: 89)
    let high = r.scheduleAfterPeerAttempt(now: later, timers: timers, cap: 360, jitterDraw: 999)
    #expect(abs(high - (5 + 0.999 * 0.333)) < 1e-9 && r.backoff == 0)
  }

  @Test func peerBackoffDoublesFromTwoRekeyTimeoutsUpToTheCap() {
    var r = HandshakeRetry(startingAt: t0)
    var now = t0.adding(seconds: 90)
    var delays: [Double] = []
    for _ in 0..<8 {
      delays.append(r.scheduleAfterPeerAttempt(now: now, timers: timers, cap: 360, jitterDraw: 0))
      now = r.nextAttempt
    }
    #expect(delays == [10, 20, 40, 80, 160, 320, 360, 360])
    let jittered = r.scheduleAfterPeerAttempt(now: now, timers: timers, cap: 360, jitterDraw: 500)
    #expect(r.backoff == 360 && abs(jittered - (360 + 0.5 * 0.333)) < 1e-9)
  }

  @Test func dialBackoffDoublesFromTheInitialDelayUpToTheCapWithAThirdOfJitter() {
    var r = HandshakeRetry(startingAt: t0)
    var delays: [Double] = []
    for _ in 0..<6 {
      delays.append(r.scheduleAfterDialAttempt(now: t0, timers: timers, cap: 16, jitterDraw: 0))
    }
    #expect(delays == [2, 4, 8, 16, 16, 16])
    let most = r.scheduleAfterDialAttempt(now: t0, timers: timers, cap: 16, jitterDraw: 999)
    #expect(abs(most - 16 * (1 + 999.0 / 3000)) < 1e-9)
    #expect(r.nextAttempt == t0.adding(seconds: most))
  }

  @Test func capsAreShortOnlyForHostsGossipShowsConnected() {
    #expect(HandshakeRetry.dialCap(timers: timers, hostShownConnected: false) == 360)
    #expect(HandshakeRetry.dialCap(timers: timers, hostShownConnected: true) == 16)
    #expect(HandshakeRetry.peerCap(timers: timers, peerShownConnected: false) == 360)
    #expect(HandshakeRetry.peerCap(timers: timers, peerShownConnected: true) == 16)
    var slow = timers
    slow.rekeyTimeout = 10  // the peer cap never drops below two rekey timeouts
    #expect(HandshakeRetry.peerCap(timers: slow, peerShownConnected: true) == 20)
  }

  // MARK: SessionHealth

  func keypair(createdAgo seconds: Double, at now: MeshInstant, initiator: Bool) -> Keypair {
    let key = try! SymmetricKey(bytes: Array(repeating: 1, count: 32))
    var random = SeededRandom(seed: 42)
    let peer = PrivateKey.generate(using: &random).publicKey.peerID
    return Keypair(
      localIndex: 1, remoteIndex: 2, peer: peer,
      created: MeshInstant(nanoseconds: now.nanoseconds - UInt64(seconds * 1e9)),
      isInitiator: initiator, sendKey: key, receiveKey: key)
  }

  @Test func sessionHealthFollowsAgeCountersAndSilence() {
    let now = t0.adding(seconds: 1000)
    func assess(_ current: Keypair?, next: Keypair? = nil, silentFor: Double = 0) -> SessionHealth {
      SessionHealth.assess(
        current: current, next: next, lastReceived: now - silentFor, now: now,
        timers: timers)
    }
    #expect(assess(keypair(createdAgo: 10, at: now, initiator: true)) == .fresh)
    #expect(assess(keypair(createdAgo: 120, at: now, initiator: true)) == .dueForRekey)
    // A responder waits longer, so the initiator's rekey normally comes first.
    #expect(assess(keypair(createdAgo: 120, at: now, initiator: false)) == .fresh)
    #expect(assess(keypair(createdAgo: 165, at: now, initiator: false)) == .dueForRekey)
    var worn = keypair(createdAgo: 1, at: now, initiator: true)
    worn.sendCounter = timers.rekeyAfterMessages
    #expect(assess(worn) == .dueForRekey)
    #expect(assess(keypair(createdAgo: 10, at: now, initiator: true), silentFor: 15) == .unanswered)
    #expect(
      assess(keypair(createdAgo: 130, at: now, initiator: true), silentFor: 15) == .unanswered)
    #expect(
      assess(nil, next: keypair(createdAgo: 4, at: now, initiator: false)) == .awaitingConfirmation)
    #expect(assess(nil, next: keypair(createdAgo: 5, at: now, initiator: false)) == .noSession)
    #expect(assess(nil) == .noSession)
  }

  // MARK: PeerPhase

  @Test(arguments: [SessionHealth.fresh, .awaitingConfirmation])
  func healthThatWantsNoHandshakeLeavesEveryPhaseAlone(_ health: SessionHealth) {
    let r = HandshakeRetry(startingAt: t0)
    let phases: [PeerPhase] = [.new, .handshaking(r), .up(since: t0), .rekeying(since: t0, r)]
    for start in phases {
      var phase = start
      #expect(phase.advance(health, now: t0.adding(seconds: 50)) == .none)
      #expect(phase == start)
    }
  }

  @Test func aNewPeerStartsHandshakingWhenAHandshakeIsWanted() {
    let now = t0.adding(seconds: 5)
    for health in [SessionHealth.dueForRekey, .unanswered, .noSession] {
      var phase = PeerPhase.new
      #expect(phase.advance(health, now: now) == .none)  // it never was up
      #expect(phase == .handshaking(HandshakeRetry(startingAt: now)))
    }
  }

  @Test func anUpPeerDueForRekeyStaysUpAndStartsASeries() {
    var phase = PeerPhase.up(since: t0)
    let now = t0.adding(seconds: 120)
    #expect(phase.advance(.dueForRekey, now: now) == .none)
    #expect(phase == .rekeying(since: t0, HandshakeRetry(startingAt: now)))
    #expect(phase.isUp)
  }

  @Test(arguments: [SessionHealth.unanswered, .noSession])
  func anUpPeerWhoseSessionsDiedGoesDownAndRetries(_ health: SessionHealth) {
    var phase = PeerPhase.up(since: t0)
    let now = t0.adding(seconds: 15)
    #expect(phase.advance(health, now: now) == .wentDown)
    #expect(phase == .handshaking(HandshakeRetry(startingAt: now)))
    #expect(!phase.isUp)
  }

  @Test func aRekeyingPeerThatDiesKeepsItsSeries() {
    var series = HandshakeRetry(startingAt: t0.adding(seconds: 120))
    series.backoff = 20
    var phase = PeerPhase.rekeying(since: t0, series)
    #expect(phase.advance(.dueForRekey, now: t0.adding(seconds: 130)) == .none)
    #expect(phase == .rekeying(since: t0, series))
    #expect(phase.advance(.unanswered, now: t0.adding(seconds: 135)) == .wentDown)
    #expect(phase == .handshaking(series))
  }

  @Test func aHandshakingPeerKeepsItsSeriesWhateverTheHealth() {
    let series = HandshakeRetry(startingAt: t0)
    for health in [SessionHealth.dueForRekey, .unanswered, .noSession] {
      var phase = PeerPhase.handshaking(series)
      #expect(phase.advance(health, now: t0.adding(seconds: 30)) == .none)
      #expect(phase == .handshaking(series))
    }
  }

  @Test func aDownPeerWantsHandshakesUntilOneCompletesEvenOverAWorkingSession() {
    let r = HandshakeRetry(startingAt: t0)
    for health in [SessionHealth.fresh, .dueForRekey, .unanswered, .noSession] {
      #expect(PeerPhase.handshaking(r).wantsHandshake(health))
    }
    // It waits only while the handshake it just answered awaits confirmation.
    #expect(!PeerPhase.handshaking(r).wantsHandshake(.awaitingConfirmation))
    for phase in [PeerPhase.new, .up(since: t0), .rekeying(since: t0, r)] {
      for health in [SessionHealth.fresh, .dueForRekey, .unanswered, .awaitingConfirmation] {
        #expect(phase.wantsHandshake(health) == health.wantsHandshake)
      }
    }
  }

  @Test func aCompletedHandshakeBringsThePeerUpOrKeepsItUp() {
    let now = t0.adding(seconds: 200)
    let r = HandshakeRetry(startingAt: t0)
    var phase = PeerPhase.new
    #expect(!phase.handshakeCompleted(now: now) && phase == .up(since: now))
    phase = .handshaking(r)
    #expect(!phase.handshakeCompleted(now: now) && phase == .up(since: now))
    phase = .up(since: t0)
    #expect(phase.handshakeCompleted(now: now) && phase == .up(since: t0))
    phase = .rekeying(since: t0, r)
    #expect(phase.handshakeCompleted(now: now) && phase == .up(since: t0))
  }

  @Test func theRetrySeriesIsReadAndWrittenOnlyWhereAPhaseHasOne() {
    let r = HandshakeRetry(startingAt: t0)
    var moved = r
    moved.retryNow(t0.adding(seconds: 3))
    var phase = PeerPhase.up(since: t0)
    phase.retry = moved
    #expect(phase == .up(since: t0) && phase.retry == nil)
    phase = .new
    phase.retry = moved
    #expect(phase == .new)
    phase = .handshaking(r)
    phase.retry = moved
    #expect(phase == .handshaking(moved))
    phase = .rekeying(since: t0, r)
    phase.retry?.retryNow(t0.adding(seconds: 3))
    #expect(phase == .rekeying(since: t0, moved))
  }
}

extension MeshInstant {
  /// The instant `seconds` before this one.
  fileprivate static func - (a: MeshInstant, seconds: Double) -> MeshInstant {
    MeshInstant(nanoseconds: a.nanoseconds - UInt64(seconds * 1e9))
  }
}
