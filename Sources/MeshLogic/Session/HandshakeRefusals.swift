import MeshTypes

/// Rate-limited reports of refused handshakes (see `HandshakeRefusal`): the first refusal from
/// a source is reported at once, later ones are counted and reported at most once every
/// `reportInterval` seconds per source. Bounded: at most `maxSources` sources are tracked, and
/// at most `maxReportsPerInterval` reports go out per interval in all, so a flood of forged
/// sources cannot flood the log.
struct HandshakeRefusals: Sendable {
  /// Seconds between two reports about one source.
  static let reportInterval = 60.0
  /// The most sources tracked at once; past it the one reported longest ago is forgotten.
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

  /// Notes a refusal; returns the report to make now, if one is due.
  mutating func note(
    _ reason: HandshakeRefusal, from source: Endpoint, now: MeshInstant
  ) -> (reason: HandshakeRefusal, count: UInt64)? {
    if sources[source] == nil, sources.count >= HandshakeRefusals.maxSources {
      let stalest = sources.min { a, b in
        (a.value.lastReport?.nanoseconds ?? 0) < (b.value.lastReport?.nanoseconds ?? 0)
      }
      if let key = stalest?.key { sources[key] = nil }
    }
    var entry = sources[source] ?? Source(reason: reason)
    entry.reason = reason
    entry.unreported += 1
    defer { sources[source] = entry }
    if let last = entry.lastReport, now.seconds(since: last) < HandshakeRefusals.reportInterval {
      return nil
    }
    if windowStart.map({ now.seconds(since: $0) >= HandshakeRefusals.reportInterval }) ?? true {
      windowStart = now
      reportsInWindow = 0
    }
    guard reportsInWindow < HandshakeRefusals.maxReportsPerInterval else { return nil }
    reportsInWindow += 1
    entry.lastReport = now
    let count = entry.unreported
    entry.unreported = 0
    return (reason, count)
  }
}
