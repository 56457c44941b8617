import MeshTypes

/// Everything this host knows about the mesh: one `PeerRecord` per host, its own included.
///
/// A value type whose only mutation is `merge`, a join: the higher version wins, and two
/// different records of the same version are ordered by their canonical bytes. Merge is
/// therefore commutative, associative and idempotent, so hosts that have seen the same records
/// in any order, any number of times, hold equal topologies.
///
/// Bounded: at most `MeshLimits.maxPeers` records. A record for a new ID beyond that is
/// refused (counted in `refused`); known IDs still update. Tombstones (`departed`) count.
public struct Topology: Sendable, Equatable {
  /// The records by host ID.
  public private(set) var records: [PeerID: PeerRecord] = [:]
  /// Increments on every change, so caches (routes, broadcast trees) know when to recompute.
  public private(set) var generation: UInt64 = 0
  /// Records refused: invalid ones, and new IDs beyond `MeshLimits.maxPeers`.
  public private(set) var refused: Int = 0
  /// The version held per ID: digests read this, not the records, to stay cheap.
  private var versions: [PeerID: UInt64] = [:]
  /// Per-bucket record counts, for `summary(mode:)`.
  private var bucketCounts = [UInt16](repeating: 0, count: MeshLimits.summaryBuckets)
  /// Per-bucket XOR of mixed IDs.
  private var membershipHashes = [UInt64](repeating: 0, count: MeshLimits.summaryBuckets)
  /// Per-bucket XOR of mixed (ID, version) pairs.
  private var versionHashes = [UInt64](repeating: 0, count: MeshLimits.summaryBuckets)

  /// An empty topology.
  public init() {}

  /// A topology holding `records`, merged in order.
  public init(_ records: some Sequence<PeerRecord>) {
    for record in records { merge(record) }
  }

  /// Two topologies are equal when they hold the same records (counters and generations
  /// depend on history and are not compared).
  public static func == (a: Topology, b: Topology) -> Bool { a.records == b.records }

  /// The number of records.
  public var count: Int { records.count }

  /// The record of `id`, if known.
  public subscript(id: PeerID) -> PeerRecord? { records[id] }

  /// The version held for `id`, if any (cheaper than fetching the record).
  public func version(of id: PeerID) -> UInt64? { versions[id] }

  /// Merges `record`; returns whether the topology changed. The record replaces the one held
  /// for its ID when it `supersedes` it; it is refused when invalid (see
  /// `PeerRecord.validate()`) or when it is a new ID and the topology is full.
  @discardableResult
  public mutating func merge(_ record: PeerRecord) -> Bool {
    let existing = records[record.id]
    if let existing, !record.supersedes(existing) { return false }
    if existing == nil, records.count >= MeshLimits.maxPeers {
      refused += 1
      return false
    }
    do {
      try record.validate()
    } catch {
      refused += 1
      return false
    }
    let bucket = DigestSummary.bucket(of: record.id)
    if let existing {
      versionHashes[bucket] ^= Self.mix(existing.id, existing.version)
    } else {
      bucketCounts[bucket] += 1
      membershipHashes[bucket] ^= Self.mix(record.id.rawValue)
    }
    versionHashes[bucket] ^= Self.mix(record.id, record.version)
    records[record.id] = record
    versions[record.id] = record.version
    generation &+= 1
    return true
  }

  /// The digest for anti-entropy: every (ID, version) held, ascending by ID.
  public var digest: [DigestEntry] {
    versions.map { DigestEntry(id: $0.key, version: $0.value) }.sorted { $0.id < $1.id }
  }

  /// The digest entries whose IDs lie in `range`, ascending.
  public func digest(in range: ClosedRange<PeerID>) -> [DigestEntry] {
    var out: [DigestEntry] = []
    for (id, version) in versions where range.contains(id) {
      out.append(DigestEntry(id: id, version: version))
    }
    return out.sorted { $0.id < $1.id }
  }

  /// The digest entries of the given summary buckets, ascending per bucket, in one pass.
  public func digest(buckets: Set<Int>) -> [Int: [DigestEntry]] {
    var out: [Int: [DigestEntry]] = [:]
    guard !buckets.isEmpty else { return out }
    for (id, version) in versions {
      let bucket = DigestSummary.bucket(of: id)
      if buckets.contains(bucket) {
        out[bucket, default: []].append(DigestEntry(id: id, version: version))
      }
    }
    for bucket in out.keys { out[bucket]!.sort { $0.id < $1.id } }
    return out
  }

  /// The one-message fingerprint of the digest; see `DigestSummary`.
  public func summary(mode: DigestMode) -> DigestSummary {
    DigestSummary(
      mode: mode, counts: bucketCounts,
      hashes: mode == .membership ? membershipHashes : versionHashes)
  }

  /// The buckets in which `other` differs from this topology's summary of the same mode.
  public func differingBuckets(_ other: DigestSummary) -> [Int] {
    let mine = summary(mode: other.mode)
    return (0..<MeshLimits.summaryBuckets).filter {
      $0 >= other.counts.count || $0 >= other.hashes.count
        || mine.counts[$0] != other.counts[$0] || mine.hashes[$0] != other.hashes[$0]
    }
  }

  /// The peers X such that X lists `id` and `id` lists X: the symmetric (established on both
  /// sides) edges that routes use. Ascending; empty when `id` is unknown or departed.
  public func symmetricNeighbors(of id: PeerID) -> [PeerID] {
    guard let record = records[id], !record.departed else { return [] }
    return record.connections.filter { peer in
      guard let other = records[peer], !other.departed else { return false }
      return other.lists(id)
    }
  }

  /// A 64-bit mixing function (SplitMix64's finalizer): spreads IDs and versions so that XOR
  /// of mixed values is a usable set fingerprint.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The mixed value of an (ID, version) pair.
  static func mix(_ id: PeerID, _ version: UInt64) -> UInt64 {
    mix(id.rawValue ^ mix(version))
  }
}
