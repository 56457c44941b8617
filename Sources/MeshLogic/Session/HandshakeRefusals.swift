import MeshTypes

/// Rate-limited reports of refused handshakes (see `HandshakeRefusal`): the first refusal from
/// a source is reported at once, later ones are counted and reported at most once every
/// `reportInterval` seconds per source. Bounded: at most `maxSources` sources are tracked, and
/// at most `maxReportsPerInterval` reports go out per interval in all, so a flood of forged
/// sources cannot flood the log.
struct HandshakeRefusals: Sendable {
  /// Seconds between two reports about one source.
  static let reportInterval = 60.0
  /// The most sources tracked at once; sources past it are not tracked (see `note`).
  static let maxSources = 256
  /// The most reports in one interval, all sources together.
  static let maxReportsPerInterval = 8

  struct Source {
    var reason: HandshakeRefusal
    var lastReport: MeshInstant?
    var unreported: UInt64 = 0
  }

  private(set) var sources: [Endpoint: Source] = [:]
  private var windowStart: MeshInstant?
  private var reportsInWindow = 0

  /// Notes a refusal; returns the report to make now, if one is due. O(1): a source beyond
  /// `maxSources` is not tracked and is reported (with a count of 1) only within the global
  /// budget.
  mutating func note(
    _ reason: HandshakeRefusal, from source: Endpoint, now: MeshInstant
  ) -> (reason: HandshakeRefusal, count: UInt64)? {
    guard var entry = sources[source] ?? newSource(reason) else {
      return takeBudget(now) ? (reason, 1) : nil
    }
    entry.reason = reason
    entry.unreported += 1
    defer { sources[source] = entry }
    if let last = entry.lastReport, now.seconds(since: last) < HandshakeRefusals.reportInterval {
      return nil
    }
    guard takeBudget(now) else { return nil }
    entry.lastReport = now
    let count = entry.unreported
    entry.unreported = 0
    return (reason, count)
  }

  /// A fresh entry, or nil when `maxSources` are tracked already.
  private func newSource(_ reason: HandshakeRefusal) -> Source? {
    sources.count < HandshakeRefusals.maxSources ? Source(reason: reason) : nil
  }

  /// Takes one report from the budget of the current interval; false when it is spent.
  private mutating func takeBudget(_ now: MeshInstant) -> Bool {
    if windowStart.map({ now.seconds(since: $0) >= HandshakeRefusals.reportInterval }) ?? true {
      windowStart = now
      reportsInWindow = 0
    }
    guard reportsInWindow < HandshakeRefusals.maxReportsPerInterval else { return false }
    reportsInWindow += 1
    return true
  }

  /// Forgets sources reported longer than an interval ago with nothing counted since (run
  /// from the engine's housekeeping), so the table holds only sources still refused.
  mutating func expire(now: MeshInstant) {
    sources = sources.filter { _, entry in
      guard let last = entry.lastReport else { return true }
      return entry.unreported > 0 || now.seconds(since: last) < HandshakeRefusals.reportInterval
    }
  }
}
