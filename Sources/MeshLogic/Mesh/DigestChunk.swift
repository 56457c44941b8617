import MeshProtocol
import MeshTypes

/// One (ID, version) pair of a digest: "I hold this host's record at this version".
public struct DigestEntry: Equatable, Hashable, Sendable {
  /// The host the record describes.
  public var id: PeerID
  /// The version held.
  public var version: UInt64

  /// Creates an entry.
  public init(id: PeerID, version: UInt64) {
    self.id = id
    self.version = version
  }
}

/// What an anti-entropy exchange compares: only which IDs are known (the cheap exchange with a
/// newly connected neighbour, which must not re-send records that merely changed in flight),
/// or IDs and versions (the periodic repair).
public enum DigestMode: UInt8, Sendable, Equatable, Hashable {
  /// Compare IDs only: exchange records the other side does not know at all.
  case membership = 0
  /// Compare IDs and versions: exchange every record that is newer on one side.
  case versions = 1
}

/// A slice of a digest: every record the sender holds whose ID lies in `lower...upper`.
///
/// Because a chunk names the range it covers, the receiver also learns which IDs the sender
/// does *not* hold (those in the range but absent), so a whole digest can be spread over many
/// datagrams and each chunk acted on alone.
public struct DigestChunk: Equatable, Sendable {
  /// What to compare.
  public var mode: DigestMode
  /// The first ID of the covered range.
  public var lower: PeerID
  /// The last ID of the covered range (inclusive).
  public var upper: PeerID
  /// The sender's entries in the range, strictly ascending by ID, at most
  /// `MeshLimits.maxDigestEntries`.
  public var entries: [DigestEntry]

  /// Creates a chunk from its parts.
  public init(mode: DigestMode, lower: PeerID, upper: PeerID, entries: [DigestEntry]) {
    self.mode = mode
    self.lower = lower
    self.upper = upper
    self.entries = entries
  }

  /// Covers `lower...upper` with chunks of at most `MeshLimits.maxDigestEntries` entries.
  /// `entries` must be strictly ascending and inside the range. The chunks' ranges are
  /// contiguous, so together they still say which IDs are absent.
  public static func chunks(
    mode: DigestMode, lower: PeerID, upper: PeerID, entries: [DigestEntry]
  ) -> [DigestChunk] {
    var out: [DigestChunk] = []
    var start = 0
    var rangeStart = lower
    repeat {
      let end = min(entries.count, start + MeshLimits.maxDigestEntries)
      let last = end == entries.count ? upper : entries[end - 1].id
      out.append(
        DigestChunk(
          mode: mode, lower: rangeStart, upper: last, entries: Array(entries[start..<end])))
      if end < entries.count { rangeStart = PeerID(rawValue: last.rawValue + 1) }
      start = end
    } while start < entries.count
    return out
  }

  /// Appends the body encoding: mode (1) · lower (8) · upper (8) · count (2) · entries, each
  /// id (8) · version (8); integers little-endian.
  func encode(into out: inout [UInt8]) {
    out.append(mode.rawValue)
    out.appendLE64(lower.rawValue)
    out.appendLE64(upper.rawValue)
    out.appendLE16(UInt16(truncatingIfNeeded: entries.count))
    for entry in entries {
      out.appendLE64(entry.id.rawValue)
      out.appendLE64(entry.version)
    }
  }

  /// Decodes a body strictly: known mode, `lower ≤ upper`, a bounded count, entries strictly
  /// ascending and inside the range.
  static func decode(_ reader: inout ByteReader) throws(WireError) -> DigestChunk {
    let modeByte = try reader.u8()
    guard let mode = DigestMode(rawValue: modeByte) else { throw .malformed }
    let lower = PeerID(rawValue: try reader.le64())
    let upper = PeerID(rawValue: try reader.le64())
    guard lower <= upper else { throw .malformed }
    let count = Int(try reader.le16())
    guard count <= MeshLimits.maxDigestEntries else { throw .oversized }
    guard reader.remaining >= 16 * count else { throw .truncated }
    var entries: [DigestEntry] = []
    entries.reserveCapacity(count)
    for _ in 0..<count {
      let id = PeerID(rawValue: try reader.le64())
      let version = try reader.le64()
      guard id >= lower, id <= upper else { throw .malformed }
      if let last = entries.last, last.id >= id { throw .malformed }
      entries.append(DigestEntry(id: id, version: version))
    }
    return DigestChunk(mode: mode, lower: lower, upper: upper, entries: entries)
  }
}

/// A one-datagram fingerprint of a whole topology: for each of `MeshLimits.summaryBuckets`
/// ID buckets, the record count and an order-independent hash (XOR of mixed entries) of either
/// the IDs or the (ID, version) pairs. The receiver answers with `DigestChunk`s only for the
/// buckets that differ, so anti-entropy between hosts in agreement costs one small message.
public struct DigestSummary: Equatable, Sendable {
  /// What the hashes cover.
  public var mode: DigestMode
  /// Records per bucket.
  public var counts: [UInt16]
  /// Hash per bucket.
  public var hashes: [UInt64]

  /// Creates a summary; both arrays must have `MeshLimits.summaryBuckets` elements.
  public init(mode: DigestMode, counts: [UInt16], hashes: [UInt64]) {
    self.mode = mode
    self.counts = counts
    self.hashes = hashes
  }

  /// The bucket of `id`: its top bits.
  public static func bucket(of id: PeerID) -> Int {
    Int(id.rawValue >> UInt64(64 - MeshLimits.summaryBucketBits))
  }

  /// The ID range of `bucket`.
  public static func range(of bucket: Int) -> ClosedRange<PeerID> {
    let shift = UInt64(64 - MeshLimits.summaryBucketBits)
    let low = UInt64(bucket) << shift
    return PeerID(rawValue: low)...PeerID(rawValue: low | (UInt64.max >> UInt64(64 - shift)))
  }

  /// Appends the body: mode (1) · per bucket count (2) · hash (8), little-endian.
  func encode(into out: inout [UInt8]) {
    out.append(mode.rawValue)
    for index in 0..<MeshLimits.summaryBuckets {
      out.appendLE16(index < counts.count ? counts[index] : 0)
      out.appendLE64(index < hashes.count ? hashes[index] : 0)
    }
  }

  /// Decodes a body: a known mode and exactly `MeshLimits.summaryBuckets` buckets.
  static func decode(_ reader: inout ByteReader) throws(WireError) -> DigestSummary {
    guard let mode = DigestMode(rawValue: try reader.u8()) else { throw .malformed }
    var counts: [UInt16] = []
    var hashes: [UInt64] = []
    for _ in 0..<MeshLimits.summaryBuckets {
      counts.append(try reader.le16())
      hashes.append(try reader.le64())
    }
    return DigestSummary(mode: mode, counts: counts, hashes: hashes)
  }
}
