import MeshCore
import Testing

@Suite struct DNSForwarderTests {
  let client = Endpoint("10.47.5.2:40000")!
  let up1 = Endpoint("192.0.2.1:53")!
  let up2 = Endpoint("192.0.2.2:53")!
  let t0 = MeshInstant(nanoseconds: 1_000_000_000)

  func response(to bytes: [UInt8]) -> [UInt8] {
    var r = bytes
    r[2] |= 0x80
    return r
  }

  @Test func forwardsWithAFreshIDAndRestoresItUnchangedOtherwise() throws {
    var f = DNSForwarder(upstreams: [up1])
    var random = SeededRandom(seed: 3)
    let query = DNSFixture.query("example.org", id: 0x1111).serialized()
    let r1 = f.forward(query, from: client, now: t0, random: &random)
    let (out, to) = try #require(r1)
    #expect(to == up1)
    #expect(Array(out.dropFirst(2)) == Array(query.dropFirst(2)))
    let answer = response(to: out) + [1, 2, 3]
    // Not the upstream it went to, or not a response: ignored.
    let r2 = f.answer(answer, from: up2)
    #expect(r2 == nil)
    let r3 = f.answer(out, from: up1)
    #expect(r3 == nil)
    let r4 = f.answer(answer, from: up1)
    let (back, toClient) = try #require(r4)
    #expect(toClient == client)
    #expect(DNSMessage.peekID(back) == 0x1111)
    #expect(Array(back.dropFirst(2)) == Array(answer.dropFirst(2)))
    // Only once.
    let r5 = f.answer(answer, from: up1)
    #expect(r5 == nil)
    #expect(f.pendingCount == 0)
  }

  @Test func triesTheNextUpstreamOnTimeoutThenGivesUp() throws {
    var f = DNSForwarder(upstreams: [up1, up2])
    var random = SeededRandom(seed: 4)
    let query = DNSFixture.query("example.org").serialized()
    let r6 = f.forward(query, from: client, now: t0, random: &random)
    let (out, to) = try #require(r6)
    #expect(to == up1)
    let r7 = f.expire(now: t0.adding(seconds: 1))
    #expect(r7.retries.isEmpty)
    let later = t0.adding(seconds: DNSForwarder.timeoutSeconds + 0.1)
    let (retries, gaveUp) = f.expire(now: later)
    #expect(gaveUp == 0)
    #expect(retries.count == 1 && retries[0].to == up2 && retries[0].bytes == out)
    // The late answer of the first upstream is no longer taken; the second's is.
    let r8 = f.answer(response(to: out), from: up1)
    #expect(r8 == nil)
    let end = f.expire(now: later.adding(seconds: DNSForwarder.timeoutSeconds + 0.1))
    #expect(end.gaveUp == 1 && end.retries.isEmpty)
    #expect(f.pendingCount == 0)
  }

  @Test func refusesWithoutUpstreamsWhenFullOrForRunts() {
    var random = SeededRandom(seed: 5)
    var none = DNSForwarder(upstreams: [])
    let r9 = none.forward(
      DNSFixture.query("a.org").serialized(), from: client, now: t0, random: &random)
    #expect(r9 == nil)
    var f = DNSForwarder(upstreams: [up1])
    let r10 = f.forward([1, 2, 3], from: client, now: t0, random: &random)
    #expect(r10 == nil)
    let query = DNSFixture.query("a.org").serialized()
    for _ in 0..<DNSForwarder.maxPending {
      let r11 = f.forward(query, from: client, now: t0, random: &random)
      #expect(r11 != nil)
    }
    let r12 = f.forward(query, from: client, now: t0, random: &random)
    #expect(r12 == nil)
    #expect(f.pendingCount == DNSForwarder.maxPending)
  }
}
