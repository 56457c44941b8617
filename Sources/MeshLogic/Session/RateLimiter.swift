import MeshTypes

/// A token bucket per source address: under load, each address may start at most `rate`
/// handshakes a second (with bursts of `burst`), so one flooding host cannot starve others.
struct RateLimiter {
  /// Handshakes per second per address.
  static let rate = 20.0
  /// The burst allowance.
  static let burst = 5.0
  /// The most addresses tracked; past it, idle entries are dropped, then new ones refused.
  static let capacity = 65_536

  private var buckets: [Endpoint.Address: (tokens: Double, last: MeshInstant)] = [:]

  /// Whether `address` may start a handshake now; spends a token if so.
  mutating func allow(_ address: Endpoint.Address, now: MeshInstant) -> Bool {
    if buckets[address] == nil, buckets.count >= RateLimiter.capacity {
      expire(now: now)
      guard buckets.count < RateLimiter.capacity else { return false }
    }
    var b = buckets[address] ?? (RateLimiter.burst, now)
    b.tokens = min(RateLimiter.burst, b.tokens + now.seconds(since: b.last) * RateLimiter.rate)
    b.last = now
    guard b.tokens >= 1 else {
      buckets[address] = b
      return false
    }
    b.tokens -= 1
    buckets[address] = b
    return true
  }

  /// Forgets addresses whose buckets have refilled.
  mutating func expire(now: MeshInstant) {
    let full = RateLimiter.burst / RateLimiter.rate
    buckets = buckets.filter { now.seconds(since: $0.value.last) < full }
  }
}
