import MeshTypes

/// Something the gossip layer learned that its owner may act on.
public enum GossipEvent: Sendable, Equatable {
  /// A host not known before, with the endpoints to dial it at: the connection maker should
  /// start connecting (with backoff) unless a session exists.
  case learned(PeerID, endpoints: [Endpoint])
  /// A known host announced different endpoints: redial there if its session is down.
  case endpointsChanged(PeerID, endpoints: [Endpoint])
  /// A host was released for good (tombstone): stop dialing it and drop its session.
  case departed(PeerID)
  /// Two live hosts appear to use this key (this host's own, or a member's): its signed
  /// record keeps being replaced by a rival one (see `KeyContests`), or a member sent a
  /// signed `KeyAlert` about it. Rate-limited.
  case keyContested(PeerID)
}

/// Counters of a `Gossiper`, for `/metrics` and the simulation.
public struct GossipStats: Sendable, Equatable {
  /// Messages handed to the owner to send.
  public var messagesSent = 0
  /// Bytes of those messages.
  public var bytesSent = 0
  /// Messages received (decoded or not).
  public var messagesReceived = 0
  /// Bytes of those messages.
  public var bytesReceived = 0
  /// Received messages that did not decode.
  public var decodeErrors = 0
  /// Records merged into the topology from others (changes only).
  public var recordsMerged = 0
  /// Received segments that were not newer than the record held.
  public var staleSegments = 0
  /// Records dropped because their signature did not verify (forged or tampered), counted
  /// once per check: a copy remembered as bad is dropped silently.
  public var badSignatures = 0
  /// Operator-signed tombstones dropped because their operator key is not configured here.
  public var unknownOperators = 0
  /// Segments dropped because their version is more than `MeshLimits.maxFutureSkew` ahead of
  /// this host's wall clock.
  public var futureVersions = 0
  /// Records dropped because their fields break the record rules (`PeerRecord.validate()`:
  /// bounds, order, names), before any signature check.
  public var invalidRecords = 0
  /// Record signatures verified (each costs about 100 µs).
  public var signaturesVerified = 0
  /// Events dropped because `MeshLimits.maxPendingEvents` were queued.
  public var eventsDropped = 0
  /// Records that replaced a rival record of the same key (see `KeyContests`).
  public var contestedRecords = 0
  /// Key alerts dropped as too old or too far ahead of the wall clock.
  public var staleAlerts = 0
  /// Key alerts dropped because their reporter or subject is not a known member.
  public var unknownAlerts = 0
  /// Summaries sent to a new neighbour that did not send its own (see
  /// `Gossiper.awaitSummaries`): mostly after this host restarted within that neighbour's
  /// dead-peer timeout.
  public var newNeighborSummaries = 0

  /// All zero.
  public init() {}
}
