import MeshProtocol

/// The named bounds of the mesh control plane.
///
/// Every count and length that a peer can influence (records in the topology, connections per
/// record, entries in a gossip message, pending reassembly state, queued events) is checked
/// against one of these, so a hostile or buggy member can waste a little bandwidth but can
/// never make a host allocate without limit or trap.
public enum MeshLimits {
  /// The most records a `Topology` holds, this host's own included. Records for new IDs beyond
  /// it are refused (records already known still update), so a flood of invented hosts cannot
  /// exhaust memory; 4096 hosts is far above any cluster this design targets.
  public static let maxPeers = 4_096

  /// The most connections one `PeerRecord` lists: one per other host, at most.
  public static let maxConnections = 4_096

  /// The largest encoded gossip message, so one always fits a single datagram on any path.
  public static let maxMessage = WireLimits.maxGossip

  /// The most record segments one `.records` message carries (the count is one byte).
  public static let maxSegmentsPerMessage = 255

  /// The most IDs in one `.request` message: what fits in `maxMessage`.
  public static let maxRequestIDs = (maxMessage - GossipMessage.requestHeader) / 8

  /// The most entries in one `DigestChunk`: what fits in `maxMessage`.
  public static let maxDigestEntries = (maxMessage - GossipMessage.digestHeader) / 16

  /// The number of ID buckets in a `DigestSummary`: the top `summaryBucketBits` bits of a
  /// peer ID pick its bucket.
  public static let summaryBuckets = 64

  /// log2 of `summaryBuckets`.
  public static let summaryBucketBits = 6

  /// The most records `GossipReassembly` holds half-assembled at once.
  public static let maxReassemblyEntries = 64

  /// The most connection bytes `GossipReassembly` reserves across all entries (each entry
  /// reserves 8 bytes per announced connection when its first segment arrives).
  public static let maxReassemblyBytes = 512 * 1_024

  /// How far ahead of this host's wall clock (in nanoseconds) a record's version may be: 10
  /// minutes. Versions are wall-clock nanoseconds, so a further one is a forgery or a broken
  /// clock, and accepting it would let a record (a tombstone) win for ever; it is refused,
  /// never wrapped.
  public static let maxFutureSkew: UInt64 = 600 * 1_000_000_000
  /// Handshake attempts a host makes towards endpoints it learned from gossip (which a member
  /// gone bad may invent), per second once `gossipDialBurst` is spent: a member cannot turn
  /// the mesh into a tool that sends datagrams to addresses of its choice.
  public static let gossipDialsPerSecond = 16.0
  /// Attempts towards gossip-learned endpoints that may go out at once (a host that just
  /// joined a mesh of this many hosts dials them all without waiting).
  public static let gossipDialBurst = 64.0
  /// Attempts at one gossip-learned endpoint that never answers before it is given up.
  public static let maxGossipDialAttempts = 3
  /// How long a given-up gossip endpoint is not dialled again, in seconds.
  public static let unansweredEndpointMemory = 600.0
  /// How many given-up gossip endpoints are remembered at most.
  public static let maxUnansweredEndpoints = 4_096
  /// How many of this host's own endpoints (found by dialling them) are remembered at most.
  public static let maxSelfEndpoints = 64

  /// The most (record, signature) outcomes a `Gossiper` remembers, so the same signed record
  /// arriving again from other neighbours is not verified twice.
  public static let maxVerifiedSignatures = 1_024

  /// The most events a `Gossiper` queues for its owner; beyond it new events are dropped and
  /// counted, and the owner can still read the whole topology.
  public static let maxPendingEvents = 2 * maxPeers
}

/// Why a peer record, a gossip message or a local update was refused.
///
/// Codec errors (lengths, counts, kind bytes) are reported as `WireError`; these are the
/// control-plane rules on top of a well-formed encoding.
public enum GossipError: Error, Equatable, Hashable, Sendable {
  /// The record's ID is not the one derived from its public key.
  case idMismatch
  /// A nickname over `WireLimits.maxNickname` UTF-8 bytes.
  case nicknameTooLong
  /// A nickname with control characters or bidirectional overrides (`DisplayText`).
  case nicknameUnprintable
  /// More than `WireLimits.maxEndpoints` endpoints.
  case tooManyEndpoints
  /// More than `MeshLimits.maxConnections` connections.
  case tooManyConnections
  /// Connections not strictly ascending (unsorted or duplicated), or listing the host itself.
  case badConnections
  /// `setLocal` was given a record for another host.
  case notLocal
  /// The record's signature does not verify: a forgery, a tampered field, or an operator
  /// signature on anything but a tombstone.
  case badSignature
  /// A tombstone signed by an operator key this host is not configured with.
  case unknownOperator
  /// A version more than `MeshLimits.maxFutureSkew` ahead of this host's wall clock.
  case futureVersion
  /// Names out of bounds, malformed (DNS label rules), out of order, on a tombstone, or
  /// claiming another host (see `PeerRecord.names`).
  case badNames
}
