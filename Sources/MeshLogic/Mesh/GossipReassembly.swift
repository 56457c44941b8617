import MeshTypes

/// Puts large records back together from their `RecordSegment`s.
///
/// At most one record per host ID is pending (a newer version replaces an older one, an older
/// one is ignored), at most `MeshLimits.maxReassemblyEntries` in all, reserving at most
/// `MeshLimits.maxReassemblyBytes` for connection slots. When a new record needs room, the
/// oldest pending entries are evicted, so a flood of bogus segments costs bounded memory and
/// can only delay (anti-entropy repairs it) a genuine record, never corrupt one: segments of
/// the same (ID, version) must carry identical headers and may not overlap.
public struct GossipReassembly: Sendable {
  /// One half-assembled record.
  struct Entry: Sendable {
    /// The header fields; `connections` is empty.
    var header: PeerRecord
    /// Connection slots, `total` long.
    var slots: [PeerID]
    /// One bit per slot: filled.
    var filled: [UInt64]
    /// Slots filled so far.
    var received: Int
    /// When the entry was opened, for oldest-first eviction.
    var sequence: UInt64
  }

  private var entries: [PeerID: Entry] = [:]
  private var sequence: UInt64 = 0
  /// Bytes reserved for slots across all entries.
  public private(set) var reservedBytes = 0
  /// Segments ignored: stale, inconsistent, overlapping or out of bounds.
  public private(set) var dropped = 0
  /// Pending entries evicted to make room.
  public private(set) var evicted = 0

  /// No pending records.
  public init() {}

  /// The number of pending records.
  public var count: Int { entries.count }

  /// Adds a segment; returns the whole record once its last missing slice arrives (or at
  /// once for a whole-record segment). The returned record is not validated: merge does that.
  public mutating func add(_ segment: RecordSegment) -> PeerRecord? {
    let record = segment.record
    let total = segment.totalConnections
    let count = record.connections.count
    guard total <= MeshLimits.maxConnections, segment.offset >= 0,
      segment.offset + count <= total, count > 0 || total == 0
    else {
      dropped += 1
      return nil
    }
    if let pending = entries[record.id] {
      if pending.header.version > record.version {
        dropped += 1
        return nil
      }
      if pending.header.version < record.version { remove(record.id) }
    }
    if segment.isWhole {
      remove(record.id)
      return record
    }
    var header = record
    header.connections = []
    if entries[record.id] == nil { open(header, total: total) }
    // The same record's segments must agree on the header and on the number of slots.
    guard var entry = entries[record.id], entry.header == header, entry.slots.count == total
    else {
      dropped += 1
      return nil
    }
    for slot in segment.offset..<segment.offset + count
    where entry.filled[slot >> 6] & (1 << UInt64(slot & 63)) != 0 {
      dropped += 1
      return nil
    }
    for (index, peer) in record.connections.enumerated() {
      let slot = segment.offset + index
      entry.filled[slot >> 6] |= 1 << UInt64(slot & 63)
      entry.slots[slot] = peer
    }
    entry.received += count
    guard entry.received == total else {
      entries[record.id] = entry
      return nil
    }
    remove(record.id)
    var whole = entry.header
    whole.connections = entry.slots
    return whole
  }

  /// Opens an entry for `header`, evicting the oldest entries until it fits the bounds.
  private mutating func open(_ header: PeerRecord, total: Int) {
    let need = 8 * total
    while !entries.isEmpty,
      entries.count >= MeshLimits.maxReassemblyEntries
        || reservedBytes + need > MeshLimits.maxReassemblyBytes
    {
      let oldest = entries.min { $0.value.sequence < $1.value.sequence }!.key
      remove(oldest)
      evicted += 1
    }
    sequence += 1
    entries[header.id] = Entry(
      header: header, slots: [PeerID](repeating: PeerID(rawValue: 0), count: total),
      filled: [UInt64](repeating: 0, count: (total + 63) / 64), received: 0,
      sequence: sequence)
    reservedBytes += need
  }

  /// Drops the pending entry of `id`, if any.
  private mutating func remove(_ id: PeerID) {
    guard let entry = entries.removeValue(forKey: id) else { return }
    reservedBytes -= 8 * entry.slots.count
  }
}
