import MeshTypes

/// Where a known peer is in its lifecycle, with the data each phase needs.
///
///     new ───────handshake wanted──────▶ handshaking(retry)
///      │                                   │        ▲    ▲
///      │                          completed│    down│    │down
///      │                                   ▼        │    │
///      └──────────completed──────────▶ up(since) ───┘    │
///                                       │    ▲           │
///                              rekey due│    │completed  │
///                                       ▼    │           │
///                                rekeying(since, retry) ─┘
///
/// `up` and `rekeying` are reported up (`peerUp` on entry from `new` or `handshaking`,
/// `peerDown` on the way back to `handshaking`). A down transition keeps a rekey's retry series
/// running rather than starting a new one. `handshaking` is left only by a completed
/// handshake, and keeps attempting until then (see `wantsHandshake`). The sessions themselves
/// (`current`, `previous`, `next`) and our initiation in flight are kept beside the phase, in
/// `PeerState`: they change on their own clock (a late response may complete an initiation
/// after the peer is already up).
enum PeerPhase: Sendable, Equatable {
  /// Known from a handshake this host answered; not up yet, no attempts of our own yet.
  case new
  /// Not up; our handshake attempts run on `retry`.
  case handshaking(HandshakeRetry)
  /// Up since the instant given, with a sending session that needs nothing.
  case up(since: MeshInstant)
  /// Up since the instant given, with a handshake to replace the ageing session running on
  /// the retry series.
  case rekeying(since: MeshInstant, HandshakeRetry)

  /// Whether the peer is reported up: it is in the gossiped connections, routed to directly
  /// and given a socket of its own by the runtime.
  var isUp: Bool {
    switch self {
    case .new, .handshaking: false
    case .up, .rekeying: true
    }
  }

  /// The running series of handshake attempts, if any. Setting it replaces the series of a
  /// phase that has one (as `phase.retry?.retryNow(now)` does); it never changes the phase, so
  /// in `new` or `up`, or when set to nil, it changes nothing.
  var retry: HandshakeRetry? {
    get {
      switch self {
      case .new, .up: nil
      case .handshaking(let r), .rekeying(_, let r): r
      }
    }
    set {
      guard let newValue else { return }
      switch self {
      case .new, .up: break
      case .handshaking: self = .handshaking(newValue)
      case .rekeying(let since, _): self = .rekeying(since: since, newValue)
      }
    }
  }

  /// Whether a handshake attempt of ours is wanted, in this phase (taken after `advance`),
  /// when the sessions' health is `health`. A peer that is down keeps trying until a handshake
  /// completes, even while its old session still carries traffic: only a handshake brings it
  /// back up, and two hosts that each heard the other on the old session would otherwise both
  /// wait for the other's attempt (after a partition heals) until the session's rekey time.
  /// It pauses only while the peer's own handshake, just answered, awaits its confirmation.
  func wantsHandshake(_ health: SessionHealth) -> Bool {
    switch self {
    case .handshaking: health != .awaitingConfirmation
    case .new, .up, .rekeying: health.wantsHandshake
    }
  }

  /// What a timer pass did to the phase.
  enum Change: Sendable, Equatable {
    /// Nothing that anyone outside needs to know.
    case none
    /// The peer was up and is not any more: report `peerDown`.
    case wentDown
  }

  /// Moves to the phase the sessions' `health` calls for at `now`: down when they are dead or
  /// gone, with a retry series started when a handshake is wanted and none is running. A
  /// running series is kept as it is (a fresh session merely pauses it).
  mutating func advance(_ health: SessionHealth, now: MeshInstant) -> Change {
    guard health.wantsHandshake else { return .none }
    switch self {
    case .new:
      self = .handshaking(HandshakeRetry(startingAt: now))
      return .none
    case .handshaking:
      return .none
    case .up(let since):
      if health.isDown {
        self = .handshaking(HandshakeRetry(startingAt: now))
        return .wentDown
      }
      self = .rekeying(since: since, HandshakeRetry(startingAt: now))
      return .none
    case .rekeying(_, let retry):
      guard health.isDown else { return .none }
      self = .handshaking(retry)
      return .wentDown
    }
  }

  /// Moves to `up` after a handshake completed at `now`, ending any retry series. Returns
  /// whether the peer was up already (a rekey) rather than coming up now.
  mutating func handshakeCompleted(now: MeshInstant) -> Bool {
    switch self {
    case .new, .handshaking:
      self = .up(since: now)
      return false
    case .up(let since), .rekeying(let since, _):
      self = .up(since: since)
      return true
    }
  }
}
