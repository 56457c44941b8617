/// The session timers and limits, WireGuard's values by default. Tests may shorten them; the
/// daemon only does so through an explicit test-only environment variable.
public struct SessionTimers: Sendable, Equatable {
  /// The initiator of a session starts a new handshake once the session is this old.
  public var rekeyAfterTime: Double = 120
  /// A session this old is never used again, for sending or receiving.
  public var rejectAfterTime: Double = 180
  /// Handshakes are retried at this pace (plus jitter) until one completes.
  public var rekeyTimeout: Double = 5
  /// The upper bound of the random jitter added to each retry.
  public var rekeyJitter: Double = 0.333
  /// After this long of retries at the fast pace, retries back off exponentially.
  public var rekeyAttemptTime: Double = 90
  /// The first wait before retrying an endpoint whose host we do not know yet.
  public var dialInitialDelay: Double = 2
  /// The cap of the dial backoff for a host that gossip shows alive and connected to others.
  public var liveDialCap: Double = 16
  /// The cap of the exponential retry backoff.
  public var maxRetryInterval: Double = 360
  /// A keepalive is sent when nothing else was sent for this long on a live session.
  public var keepaliveTimeout: Double = 10
  /// With no handshake for this long, all key material of a peer is zeroed.
  public var zeroKeysAfter: Double = 540
  /// The initiator rekeys after sending this many messages on one session.
  public var rekeyAfterMessages: UInt64 = 1 << 60
  /// No message is sent with a counter at or above this.
  public var rejectAfterMessages: UInt64 = ReplayWindow.rejectAfterMessages

  /// WireGuard's timers.
  public init() {}

  /// The timers with a shorter rekey interval, keeping the reject margin.
  public static func rekeying(after seconds: Double) -> SessionTimers {
    var t = SessionTimers()
    t.rekeyAfterTime = seconds
    t.rejectAfterTime = seconds + 60
    return t
  }

  /// A responder that never sees the initiator rekey starts its own handshake this late, so a
  /// session is replaced before it is rejected.
  public var responderRekeyAfterTime: Double {
    max(rekeyAfterTime, rejectAfterTime - keepaliveTimeout - rekeyTimeout)
  }

  /// With data sent and nothing received for this long, the peer is presumed gone and a new
  /// handshake starts.
  public var deadPeerTimeout: Double { keepaliveTimeout + rekeyTimeout }
}
