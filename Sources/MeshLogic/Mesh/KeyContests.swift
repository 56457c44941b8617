import MeshTypes

/// Signs, seen in gossip, that two live hosts use one key: their signed records keep
/// replacing each other.
///
/// A host that receives a newer record of its own ID with other content republishes its own
/// above it (`Gossiper.accept`). With two live hosts behind one key, both do, so the key's
/// record changes with a version just one above the last (a republish, not a wall-clock
/// version) and different content, over and over. Every host sees that, so every host can
/// report the duplicate, not only one that happens to talk to both clones. One such step is
/// normal (a restarted host whose clock went back); `threshold` of them within `window` are not.
public struct KeyContests: Sendable {
  /// Steps within `window` that make a key contested.
  public static let threshold = 2
  /// How far back steps count, and how long a key stays contested after the last, seconds.
  public static let window = 120.0
  /// A version at most this far above the one held is a republish over a rival record; a
  /// host's own changes use its wall clock in nanoseconds, so they step much further.
  public static let republishStep: UInt64 = 1_000
  /// At most one report per key this often, seconds.
  public static let reportInterval = 60.0

  struct Entry: Sendable {
    var steps: Int
    var last: MeshInstant
    var lastReport: MeshInstant?
  }

  var entries: [PeerID: Entry] = [:]

  /// No contests.
  public init() {}

  /// Whether `incoming` replaces `held` (both of one ID, both signed by its owner) the way a
  /// rival host's republish does: a version just above, with other content.
  public static func isRepublish(_ incoming: PeerRecord, over held: PeerRecord) -> Bool {
    incoming.authority == .owner && held.authority == .owner && !incoming.departed
      && incoming.version > held.version && incoming.version - held.version <= republishStep
      && !incoming.sameContent(as: held)
  }

  /// Notes one contested step for `peer` at `now`; true when a report is due (the key just
  /// became contested, or has stayed so for `reportInterval` since the last report).
  public mutating func note(_ peer: PeerID, now: MeshInstant) -> Bool {
    expire(now: now)
    var entry = entries[peer] ?? Entry(steps: 0, last: now)
    entry.steps += 1
    entry.last = now
    defer { entries[peer] = entry }
    guard entry.steps >= Self.threshold else { return false }
    if let last = entry.lastReport, now.seconds(since: last) < Self.reportInterval {
      return false
    }
    entry.lastReport = now
    return true
  }

  /// Marks `peer` contested at `now` on a member's signed alert (see `KeyAlert`); true when
  /// a report is due, as for `note`.
  public mutating func flag(_ peer: PeerID, now: MeshInstant) -> Bool {
    var entry = entries[peer] ?? Entry(steps: 0, last: now)
    entry.steps = max(entry.steps, Self.threshold - 1)
    entries[peer] = entry
    return note(peer, now: now)
  }

  /// The keys contested at `now`, ascending.
  public func contested(now: MeshInstant) -> [PeerID] {
    entries.filter {
      $0.value.steps >= Self.threshold && now.seconds(since: $0.value.last) < Self.window
    }
    .map(\.key).sorted()
  }

  /// Forgets steps older than `window`; the table holds at most one entry per known ID.
  mutating func expire(now: MeshInstant) {
    entries = entries.filter { now.seconds(since: $0.value.last) < Self.window }
  }
}
