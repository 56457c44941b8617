import MeshTypes

/// A token bucket per source address: each source may send ``queriesPerSecond`` queries a
/// second on average, in bursts of up to ``burst``; the rest are dropped (and counted by the
/// caller). One container flooding the server cannot starve the others.
///
/// The table holds at most ``maxSources`` buckets; when it is full, buckets that have refilled
/// (idle sources) are forgotten, and a new source finds room only then.
public struct DNSRateLimiter: Sendable {
  /// The sustained rate allowed per source.
  public static let queriesPerSecond = 100.0
  /// The burst allowed per source (a resolver's parallel A/AAAA/search-list queries).
  public static let burst = 200.0
  /// The most sources tracked at once.
  public static let maxSources = 4096

  struct Bucket {
    var tokens: Double
    var updated: MeshInstant
  }

  var buckets: [Endpoint.Address: Bucket] = [:]
  let rate: Double
  let capacity: Double

  /// Creates a limiter with the given rate and burst (the named defaults unless a test says).
  public init(
    queriesPerSecond: Double = DNSRateLimiter.queriesPerSecond, burst: Double = DNSRateLimiter.burst
  ) {
    precondition(queriesPerSecond > 0 && burst >= 1)
    rate = queriesPerSecond
    capacity = burst
  }

  /// How many sources are tracked.
  public var sourceCount: Int { buckets.count }

  /// Takes one token for `source` at `now`; false when its bucket is empty (drop the query).
  public mutating func allow(_ source: Endpoint.Address, now: MeshInstant) -> Bool {
    if var bucket = buckets[source] {
      let elapsed = max(0, now.seconds(since: bucket.updated))
      bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
      bucket.updated = now
      let allowed = bucket.tokens >= 1
      if allowed { bucket.tokens -= 1 }
      buckets[source] = bucket
      return allowed
    }
    if buckets.count >= DNSRateLimiter.maxSources {
      let full = capacity / rate
      buckets = buckets.filter { now.seconds(since: $0.value.updated) < full }
      guard buckets.count < DNSRateLimiter.maxSources else { return false }
    }
    buckets[source] = Bucket(tokens: capacity - 1, updated: now)
    return true
  }
}
