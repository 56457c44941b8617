import MeshTypes

/// Hole punching towards one member, as this host sees it: the round under way (when it
/// began, through which neighbour, which endpoints this host opened its NAT towards), when
/// the next round is due, and how many rounds in a row went unanswered.
///
/// A round that brings no session is retried soon, after `firstRetry` seconds doubling up to
/// `MeshEngine.punchInterval` (with jitter), so that a lost datagram or a busy host costs
/// seconds, not a whole interval; a pair that never meets (a symmetric NAT) settles to one
/// round per `punchInterval`. A member announcing an endpoint not tried yet starts the
/// backoff afresh, no sooner than `minimumGap` after the last round.
struct PunchState: Sendable {
  /// The wait after a first unanswered round, in seconds; it doubles with every further one.
  static let firstRetry = 2.0
  /// The least time between two rounds towards one member, in seconds.
  static let minimumGap = 1.0
  /// Once at the full interval, an unanswered round is reported only every this many rounds.
  static let reportEvery = 10
  /// How many endpoints `tried` holds at most; past it, it starts over.
  static let maxTried = 16

  /// When the current (or last) round began.
  var started: MeshInstant
  /// When this host's next round is due.
  var due: MeshInstant
  /// Whether a round is under way: begun, and no session with the member came of it yet.
  var open = true
  /// Rounds in a row that brought no session.
  var unanswered = 0
  /// The neighbour the current round went through, when this host asked one.
  var via: PeerID?
  /// The endpoints this host opened its NAT towards (and dialled) in the current round.
  var targets: [Endpoint] = []
  /// Every endpoint of the member tried since the backoff last started afresh.
  var tried: Set<Endpoint> = []

  /// A round beginning at `now`, its retry due after `firstRetry`.
  init(now: MeshInstant, jitterDraw: UInt32) {
    started = now
    due = now.adding(seconds: PunchState.delay(afterUnanswered: 0, jitterDraw: jitterDraw))
  }

  /// How long to wait for a round after `unanswered` rounds in a row brought no session:
  /// `firstRetry` doubled that often, up to a quarter more as jitter, at most `punchInterval`.
  /// `jitterDraw` is uniform in `0..<HandshakeRetry.jitterDrawBound`.
  static func delay(afterUnanswered unanswered: Int, jitterDraw: UInt32) -> Double {
    let base = firstRetry * Double(1 << min(unanswered, 16))
    let jitter = 1 + Double(jitterDraw) / Double(HandshakeRetry.jitterDrawBound) / 4
    return min(MeshEngine.punchInterval, base * jitter)
  }

  /// An unanswered round that a new one ended: how long it waited, what it tried and via whom.
  struct Unanswered: Equatable, Sendable {
    /// Seconds from the round's start to the next one.
    var after: Double
    /// The endpoints this host opened towards.
    var endpoints: [Endpoint]
    /// The neighbour asked to pass the request on.
    var via: PeerID?
    /// Rounds in a row now unanswered, this one included.
    var count: Int
    /// Seconds until the round after the one beginning now.
    var next: Double
  }

  /// Whether a round is due at `now`.
  func isDue(_ now: MeshInstant) -> Bool { due <= now }

  /// Begins this host's own round at `now` through `via`, opening towards `endpoints`.
  /// Returns the round it ends when that one brought no session.
  mutating func begin(
    now: MeshInstant, via: PeerID, endpoints: [Endpoint], jitterDraw: UInt32
  ) -> Unanswered? {
    let ended = open ? (started, targets, self.via) : nil
    if open { unanswered += 1 }
    open = true
    started = now
    self.via = via
    targets = []
    note(endpoints)
    let wait = PunchState.delay(afterUnanswered: unanswered, jitterDraw: jitterDraw)
    due = now.adding(seconds: wait)
    guard let (start, endpoints, via) = ended else { return nil }
    return Unanswered(
      after: now.seconds(since: start), endpoints: endpoints, via: via, count: unanswered,
      next: wait)
  }

  /// A neighbour asked this host to meet the member at `endpoint` now (its own round or the
  /// member's): part of the current round, or a round of its own when none is under way.
  mutating func join(now: MeshInstant, endpoint: Endpoint, jitterDraw: UInt32) {
    if !open {
      open = true
      started = now
      via = nil
      targets = []
      let wait = PunchState.delay(afterUnanswered: unanswered, jitterDraw: jitterDraw)
      due = max(due, now.adding(seconds: wait))
    }
    note([endpoint])
  }

  /// Adds endpoints to the current round's targets and to `tried`.
  mutating func note(_ endpoints: [Endpoint]) {
    for e in endpoints where !targets.contains(e) && targets.count < PunchState.maxTried {
      targets.append(e)
    }
    if tried.count + endpoints.count > PunchState.maxTried { tried = [] }
    tried.formUnion(endpoints)
  }

  /// The member now announces `endpoints`: when one was never tried, the backoff starts
  /// afresh and the next round is due at once, though no sooner than `minimumGap` after the
  /// last began. Returns whether it did.
  mutating func endpointsChanged(to endpoints: [Endpoint], now: MeshInstant) -> Bool {
    guard endpoints.contains(where: { !tried.contains($0) }) else { return false }
    open = false
    unanswered = 0
    due = max(now, started.adding(seconds: PunchState.minimumGap))
    return true
  }

  /// A session with the member came up: the round was answered, and should the session go
  /// down, the next round is due at once.
  mutating func answered(now: MeshInstant) {
    open = false
    unanswered = 0
    due = now
  }

  /// Whether an unanswered round is worth a log line: each of the first `reportEvery / 2`
  /// in a row (the backoff reaches `punchInterval` among them), then every `reportEvery`-th.
  static func reports(_ round: Unanswered) -> Bool {
    round.count <= reportEvery / 2 || round.count % reportEvery == 0
  }
}
