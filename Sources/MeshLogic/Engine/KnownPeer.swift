import MeshTypes

/// One endpoint this host reconnects to after a restart (the known-peers file), with how long
/// it has gone unanswered when it never answered, so that an endpoint asked for by mistake
/// expires after `MeshEngineConfiguration.deadEndpointAge` and `deadEndpointAttempts` counted
/// across restarts, not afresh in every run.
public struct KnownPeer: Hashable, Sendable {
  /// An endpoint that has not answered yet: since when and after how many attempts.
  public struct Unanswered: Hashable, Sendable {
    /// When this host first dialled it, in wall-clock seconds since 1970.
    public var since: UInt64
    /// Handshake initiations sent to it so far.
    public var attempts: Int

    /// Creates the record of an unanswered endpoint.
    public init(since: UInt64, attempts: Int) {
      self.since = since
      self.attempts = attempts
    }
  }

  /// Where to dial.
  public var endpoint: Endpoint
  /// Nil for an endpoint where a peer answered; set for one that never did.
  public var unanswered: Unanswered?

  /// Creates an entry.
  public init(_ endpoint: Endpoint, unanswered: Unanswered? = nil) {
    self.endpoint = endpoint
    self.unanswered = unanswered
  }
}
