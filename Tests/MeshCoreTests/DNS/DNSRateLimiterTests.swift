import MeshCore
import Testing

@Suite struct DNSRateLimiterTests {
  let a = Endpoint.Address.v4(0x0A2F_0502)
  let b = Endpoint.Address.v4(0x0A2F_0503)
  let t0 = MeshInstant(nanoseconds: 5_000_000_000)

  @Test func allowsABurstThenTheRatePerSource() {
    var limiter = DNSRateLimiter(queriesPerSecond: 10, burst: 20)
    var allowed = 0
    for _ in 0..<100 where limiter.allow(a, now: t0) { allowed += 1 }
    #expect(allowed == 20)
    // Another source is not affected.
    let other = limiter.allow(b, now: t0)
    #expect(other)
    // Half a second refills five tokens.
    allowed = 0
    for _ in 0..<100 where limiter.allow(a, now: t0.adding(seconds: 0.5)) { allowed += 1 }
    #expect(allowed == 5)
    // A long pause refills no more than the burst.
    allowed = 0
    for _ in 0..<100 where limiter.allow(a, now: t0.adding(seconds: 100)) { allowed += 1 }
    #expect(allowed == 20)
  }

  @Test func theTableIsBoundedAndForgetsIdleSources() {
    var limiter = DNSRateLimiter(queriesPerSecond: 10, burst: 20)
    for i in 0..<DNSRateLimiter.maxSources {
      let ok = limiter.allow(.v4(UInt32(i)), now: t0)
      #expect(ok)
    }
    #expect(limiter.sourceCount == DNSRateLimiter.maxSources)
    // All busy: a new source finds no room.
    let refused = !limiter.allow(.v4(0xFFFF_0000), now: t0)
    #expect(refused)
    // Once they have been idle long enough to refill, they are forgotten.
    let later = limiter.allow(.v4(0xFFFF_0000), now: t0.adding(seconds: 3))
    #expect(later)
    #expect(limiter.sourceCount == 1)
  }

  @Test func namedDefaultsAreSane() {
    #expect(DNSRateLimiter.burst >= DNSRateLimiter.queriesPerSecond)
    var limiter = DNSRateLimiter()
    var allowed = 0
    for _ in 0..<10_000 where limiter.allow(a, now: t0) { allowed += 1 }
    #expect(allowed == Int(DNSRateLimiter.burst))
  }
}
