import MeshTypes

/// One series of handshake attempts, toward a known peer or toward an endpoint being dialled:
/// when the series began, when the next attempt is due, and how far the backoff has grown.
///
/// The series starts when a handshake is wanted and ends when one completes (the value is
/// dropped then). The delays come from the two schedules below; the random jitter is drawn by
/// the engine and passed in, so that the schedules are pure.
struct HandshakeRetry: Sendable, Equatable {
  /// When the series began.
  var started: MeshInstant
  /// When the next attempt is due.
  var nextAttempt: MeshInstant
  /// The current retry interval once the fast retries are over; 0 before that.
  var backoff: Double = 0

  /// A series that begins at `now`, with its first attempt due at once.
  init(startingAt now: MeshInstant) {
    started = now
    nextAttempt = now
  }

  /// Whether an attempt is due at `now`.
  func isDue(_ now: MeshInstant) -> Bool { now >= nextAttempt }

  /// Makes the next attempt due at once (a cookie reply asks us to try again with it).
  mutating func retryNow(_ now: MeshInstant) { nextAttempt = now }

  /// The bound of the jitter draw passed to the schedules: a draw is uniform in `0..<1000`.
  static let jitterDrawBound: UInt32 = 1000

  /// Schedules the next attempt at a known peer after one made at `now`: the rekey timeout
  /// plus jitter while the series is younger than `rekeyAttemptTime`, then a backoff that
  /// starts at twice the rekey timeout and doubles up to `cap`, so that an absent peer costs
  /// little but is never given up on. `jitterDraw` is uniform in `0..<jitterDrawBound`.
  /// Returns the wait.
  @discardableResult
  mutating func scheduleAfterPeerAttempt(
    now: MeshInstant, timers t: SessionTimers, cap: Double, jitterDraw: UInt32
  ) -> Double {
    let jitter = Double(jitterDraw) / 1000 * t.rekeyJitter
    let delay: Double
    if now.seconds(since: started) < t.rekeyAttemptTime {
      delay = t.rekeyTimeout + jitter
    } else {
      backoff = backoff == 0 ? t.rekeyTimeout * 2 : min(cap, backoff * 2)
      delay = backoff + jitter
    }
    nextAttempt = now.adding(seconds: delay)
    return delay
  }

  /// Schedules the next attempt at an endpoint whose host we do not know yet, after one made
  /// at `now`: from `dialInitialDelay`, doubling up to `cap`, with up to a third more as
  /// jitter so that hosts restarted together do not retry in step. `jitterDraw` is uniform in
  /// `0..<jitterDrawBound`. Returns the wait.
  @discardableResult
  mutating func scheduleAfterDialAttempt(
    now: MeshInstant, timers t: SessionTimers, cap: Double, jitterDraw: UInt32
  ) -> Double {
    backoff = backoff == 0 ? t.dialInitialDelay : min(cap, backoff * 2)
    let delay = backoff * (1 + Double(jitterDraw) / 3000)
    nextAttempt = now.adding(seconds: delay)
    return delay
  }

  /// How far a dial's backoff may grow: the full cap for an endpoint nobody vouches for, only
  /// `liveDialCap` for a host that gossip shows connected to others right now. Such a host is
  /// up; a lost attempt (a full queue somewhere on the way) should not cost minutes.
  static func dialCap(timers t: SessionTimers, hostShownConnected: Bool) -> Double {
    hostShownConnected ? min(t.maxRetryInterval, t.liveDialCap) : t.maxRetryInterval
  }

  /// How far a known peer's backoff may grow: short while gossip shows it connected to
  /// others, but never below two rekey timeouts.
  static func peerCap(timers t: SessionTimers, peerShownConnected: Bool) -> Double {
    guard peerShownConnected else { return t.maxRetryInterval }
    return max(t.rekeyTimeout * 2, min(t.maxRetryInterval, t.liveDialCap))
  }
}
