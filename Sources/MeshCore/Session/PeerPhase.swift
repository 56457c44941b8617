/// Where a known peer is in its lifecycle, with the data each phase needs.
///
///     new ──handshake wanted──▶ handshaking(retry) ◀──down──┐
///      │                          │     ▲                   │
///      │                 completed│     │down               │
///      └──────completed──────▶ up(since) ──rekey due──▶ rekeying(since, retry)
///                                  ▲                        │
///                                  └────────completed───────┘
///
/// `up` and `rekeying` are reported up (`peerUp` on entry from `new` or `handshaking`,
/// `peerDown` on the way back to `handshaking`). A down transition keeps a rekey's retry series
/// running rather than starting a new one. The sessions themselves (`current`, `previous`,
/// `next`) and our initiation in flight are kept beside the phase, in `PeerState`: they change
/// on their own clock (a late response may complete an initiation after the peer is already up).
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
