import MeshProtocol
import MeshTypes

/// The gossip scheduler: a pure state machine that owns the topology and this host's record
/// and decides which control messages to send, to whom and when.
///
/// Inputs: `setLocal` (this host's facts changed), `received` (a message from a neighbour),
/// `tick` (time passed; the current direct neighbours). Output: `(to, bytes)` pairs to send
/// inside the sessions, and `takeEvents()`. No I/O, no clock, no global randomness.
///
/// Every record is signed by the host it describes (`RecordSigner` signs this host's own on
/// every change), or, for a tombstone, by a configured operator. A received record is checked
/// once it is whole and before it is merged or forwarded, and only when it would supersede the
/// record held: versions first, then the signature (once per record, see `SignatureCache`).
/// A version too far ahead of the wall clock (`MeshLimits.maxFutureSkew`) is refused.
///
/// Dissemination:
/// - Push, coalesced: this host's own changed record is pushed once it settles (`localSettle`,
///   at most `localMaxDelay`), at most one push round per `pushInterval`. Records merged from
///   neighbours are relayed in coalesced rounds `relayDelay` after the first of them arrived.
///   A record not newer than the one held is never re-pushed.
/// - Neighbour elimination: the origin pushes its own record to all its neighbours. A host
///   forwarding someone else's record skips the neighbour it came from, the origin, the
///   origin's listed connections (the origin sent it to them) and the sender's listed
///   connections (the sender forwarded it to them). Of the origin's neighbours, only the one
///   with the lowest ID forwards to a given two-hop host. In a full mesh nobody forwards, so a
///   change costs about N messages instead of the N² of plain flooding; views that disagree
///   are repaired by anti-entropy.
/// - Anti-entropy: every `antiEntropyInterval` (jittered), a `DigestSummary` of (ID, version)
///   to one random neighbour; it answers with `DigestChunk`s for buckets that differ, and the
///   two sides then send each other the newer records and `.request` the rest.
/// - A new neighbour: the side with the lower ID sends a membership summary, so a joining host
///   learns every record it lacks in a few round trips without re-sending records whose
///   versions merely differ in flight. The side with the higher ID starts an anti-entropy
///   exchange with it when no summary came from it within `newNeighborWait`: a host that
///   restarted within its neighbour's dead-peer timeout is new only to itself (the neighbour
///   merely saw a rekey), and would otherwise hold none of the mesh's records until the next
///   anti-entropy round, up to `antiEntropyInterval` later.
public struct Gossiper: Sendable {
  /// Timing knobs.
  public struct Configuration: Sendable, Equatable {
    /// The shortest time between two push rounds, in seconds.
    public var pushInterval: Double
    /// The mean time between two anti-entropy exchanges, in seconds.
    public var antiEntropyInterval: Double
    /// Relative spread of that interval: ±half of it, uniformly (0.5 gives 0.75×…1.25×).
    public var antiEntropyJitter: Double
    /// How long this host's own record must stay unchanged before it is pushed, in seconds, so
    /// a burst of new connections (a host joining a large mesh) is announced as one version
    /// rather than one per push round.
    public var localSettle: Double
    /// The longest a changed own record waits for `localSettle`, in seconds.
    public var localMaxDelay: Double
    /// How long a record merged from a neighbour waits before being relayed onward, in
    /// seconds; relays are coalesced into one round per delay. By then the neighbours' records
    /// show who the origin (or the sender) reached itself, so a mesh that is forming does not
    /// relay what the origin is about to send directly. It is the price per extra hop in a
    /// partial mesh; in a full mesh nothing is relayed.
    public var relayDelay: Double
    /// The operator keys whose signed tombstones this host accepts; empty accepts none, so
    /// only a host itself can publish its tombstone.
    public var operatorKeys: Set<OperatorPublicKey>
    /// How long a new neighbour with a lower ID has to send its membership summary, in
    /// seconds, before this host sends it an anti-entropy summary itself (see the type's
    /// notes). The neighbour sends at its next tick once its session is up: a round trip.
    public var newNeighborWait: Double = 2

    /// Creates a configuration; the defaults suit a LAN or WAN mesh of up to thousands.
    public init(
      pushInterval: Double = 0.1, antiEntropyInterval: Double = 20,
      antiEntropyJitter: Double = 0.5, localSettle: Double = 0.05, localMaxDelay: Double = 1,
      relayDelay: Double = 1, operatorKeys: Set<OperatorPublicKey> = []
    ) {
      self.operatorKeys = operatorKeys
      self.relayDelay = relayDelay
      self.localSettle = localSettle
      self.localMaxDelay = localMaxDelay
      self.pushInterval = pushInterval
      self.antiEntropyInterval = antiEntropyInterval
      self.antiEntropyJitter = antiEntropyJitter
    }
  }

  /// One message to send: the neighbour and the encoded gossip message.
  public typealias Outgoing = (to: PeerID, bytes: [UInt8])

  /// This host's ID.
  public let id: PeerID
  /// The timing knobs.
  public let configuration: Configuration
  /// This host's own record, as last published.
  public internal(set) var local: PeerRecord
  /// Every record known, this host's own included.
  public internal(set) var topology = Topology()
  /// Counters.
  public internal(set) var stats = GossipStats()
  /// Large records being put back together.
  public internal(set) var reassembly = GossipReassembly()
  /// The direct neighbours given to the last `tick`, ascending.
  public internal(set) var neighbors: [PeerID] = []
  /// Records changed since the last push round, with the neighbour each came from (nil for
  /// this host's own record).
  var dirty: [PeerID: PeerID?] = [:]
  /// When the last push round ran.
  var lastPush: MeshInstant?
  /// When the next anti-entropy exchange is due.
  var nextAntiEntropy: MeshInstant?
  /// Queued events; see `takeEvents()`.
  var events: [GossipEvent] = []
  /// Records merged from neighbours, waiting `relayDelay` to be relayed, with the neighbour
  /// each came from.
  var relay: [PeerID: PeerID] = [:]
  /// When the waiting relays go out.
  var relayDue: MeshInstant?
  /// The first and the last unpushed change of the own record.
  var localChanged: (first: MeshInstant, last: MeshInstant)?
  /// Signs this host's record whenever it changes.
  var signer: RecordSigner
  /// Outcomes of signature checks, so none is repeated.
  var signatures = SignatureCache()
  /// Keys whose records two live hosts keep replacing (a duplicated key).
  public internal(set) var contests = KeyContests()
  /// The newest key alert seen from each reporter about each key (issue time, wall ns).
  var seenAlerts: [AlertOrigin: UInt64] = [:]
  /// New neighbours with a lower ID that have not sent a summary yet, with when they joined
  /// (see `awaitSummaries`).
  var awaitingSummary: [PeerID: MeshInstant] = [:]
  /// When each peer's last summary arrived, kept for `newNeighborWait`: a neighbour's
  /// summary may arrive before the tick that reports it as a neighbour.
  var summaryHeard: [PeerID: MeshInstant] = [:]

  /// A gossiper for the host described by `local`, which `signer` signs (now and on every
  /// change); throws when the record is invalid or `signer` holds another host's key.
  public init(
    local: PeerRecord, signer: RecordSigner, configuration: Configuration = Configuration()
  ) throws(GossipError) {
    try local.validate()
    guard signer.publicKey == local.publicKey else { throw .notLocal }
    self.id = local.id
    self.signer = signer
    self.local = self.signer.sign(local)
    self.configuration = configuration
    topology.merge(self.local)
    dirty[id] = .some(nil)
  }

  /// Publishes new local facts (e.g. the connections changed). A real change gets a version
  /// above both the given one and the last published one, and is pushed at the next round;
  /// an identical record is ignored. Throws for a record of another host or an invalid one.
  public mutating func setLocal(_ record: PeerRecord, now: MeshInstant) throws(GossipError) {
    guard record.id == id else { throw .notLocal }
    try record.validate()
    if record.version <= local.version, record.sameContent(as: local) { return }
    var next = record
    next.version = max(record.version, local.version &+ 1)
    publish(next, now: now)
  }

  /// Publishes this host's own tombstone, signed by it: the host leaves the mesh for good, and
  /// every host drops it from routes and claims. The owner must stop calling `setLocal`
  /// afterwards (a live record would supersede the tombstone).
  public mutating func depart(now: MeshInstant) {
    var record = local
    record.version = local.version &+ 1
    record.departed = true
    record.subnet = nil
    record.subnetClaimedAt = 0
    record.connections = []
    publish(record, now: now)
  }

  /// Signs `record`, makes it this host's record in the topology and schedules a push once it
  /// settles.
  mutating func publish(_ record: PeerRecord, now: MeshInstant) {
    local = signer.sign(record)
    topology.merge(local)
    dirty[id] = .some(nil)
    localChanged = (localChanged?.first ?? now, now)
  }

  /// Whether the own record, if changed, may go out in a push round at `now`.
  func localSettled(now: MeshInstant) -> Bool {
    guard let changed = localChanged else { return true }
    return now >= changed.last.adding(seconds: configuration.localSettle)
      || now >= changed.first.adding(seconds: configuration.localMaxDelay)
  }

  /// When the own record settles (see `localSettled`), if it is waiting.
  var localSettleTime: MeshInstant? {
    guard let changed = localChanged else { return nil }
    return min(
      changed.last.adding(seconds: configuration.localSettle),
      changed.first.adding(seconds: configuration.localMaxDelay))
  }

  /// Hands over the events queued since the last call.
  public mutating func takeEvents() -> [GossipEvent] {
    defer { events.removeAll() }
    return events
  }

  /// When `tick` next has work (a pending push or anti-entropy), so an owner can sleep until
  /// then; nil before the first tick. Calling `tick` earlier or more often is harmless.
  public var nextWakeup: MeshInstant? {
    var wake = nextAntiEntropy
    if let joined = awaitingSummary.values.min() {
      let at = joined.adding(seconds: configuration.newNeighborWait)
      wake = wake.map { min($0, at) } ?? at
    }
    if let due = relayDue {
      let at = max(due, lastPush?.adding(seconds: configuration.pushInterval) ?? due)
      wake = wake.map { min($0, at) } ?? at
    }
    if !dirty.isEmpty {
      var push =
        lastPush?.adding(seconds: configuration.pushInterval) ?? MeshInstant(nanoseconds: 0)
      if dirty.count == 1, dirty[id] != nil, let settle = localSettleTime {
        push = max(push, settle)
      }
      wake = wake.map { min($0, push) } ?? push
    }
    return wake
  }

  /// Advances time. `neighbors` are the peers with an established direct session. Sends a
  /// membership summary to each new neighbour (from the lower ID; the higher ID sends a
  /// summary later if none came, see `awaitSummaries`), runs a push round when one is pending
  /// and allowed, and runs anti-entropy when due.
  public mutating func tick(
    now: MeshInstant, neighbors current: [PeerID], random: inout some RandomSource
  ) -> [Outgoing] {
    let me = id
    let sorted = Array(
      PeerRecord.normalized(current).filter { $0 != me }.prefix(MeshLimits.maxConnections))
    var out: [Outgoing] = []
    let joined = Self.difference(sorted, neighbors)
    neighbors = sorted
    if !joined.isEmpty {
      let summary = try! GossipMessage.summary(topology.summary(mode: .membership)).encode()
      for peer in joined where id < peer { out.append((peer, summary)) }
    }
    awaitSummaries(joined: joined, now: now, into: &out)
    if pushAllowed(now: now) { push(now: now, into: &out) }
    if nextAntiEntropy == nil { nextAntiEntropy = antiEntropyDeadline(after: now, &random) }
    if let due = nextAntiEntropy, now >= due {
      nextAntiEntropy = antiEntropyDeadline(after: now, &random)
      if !neighbors.isEmpty {
        let peer = neighbors[Int(random.uniform(UInt32(neighbors.count)))]
        out.append((peer, try! GossipMessage.summary(topology.summary(mode: .versions)).encode()))
      }
    }
    count(out)
    return out
  }

  /// The next anti-entropy time: the interval spread by the jitter.
  func antiEntropyDeadline(after now: MeshInstant, _ random: inout some RandomSource)
    -> MeshInstant
  {
    let spread = configuration.antiEntropyJitter
    let unit = Double(random.uniform(1 << 20)) / Double(1 << 20)
    let factor = 1 - spread / 2 + spread * unit
    return now.adding(seconds: configuration.antiEntropyInterval * factor)
  }

  /// Whether a push round is pending and the last one is at least `pushInterval` ago.
  func pushAllowed(now: MeshInstant) -> Bool {
    let relayReady = relayDue.map { now >= $0 } ?? false
    guard !dirty.isEmpty || relayReady else { return false }
    if !relayReady, dirty.count == 1, dirty[id] != nil, !localSettled(now: now) { return false }
    guard let last = lastPush else { return true }
    return now >= last.adding(seconds: configuration.pushInterval)
  }

  /// Adds `out` to the sent counters.
  mutating func count(_ out: [Outgoing]) {
    stats.messagesSent += out.count
    for message in out { stats.bytesSent += message.bytes.count }
  }
}
