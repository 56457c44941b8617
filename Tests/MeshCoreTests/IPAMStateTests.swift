import MeshCore
import Testing

@Suite struct IPAMStateTests {
  typealias F = IPAMFixture

  @Test func freshHostClaimsItsPreferredSubnetThenKeepsIt() {
    let p = F.plan()
    let me = F.id(77)
    var s = IPAMState(plan: p, id: me)
    #expect(s.claim == nil)
    let expected = SubnetClaim(subnet: p.subnet(at: p.preferredIndex(for: me)), claimedAt: 500)
    #expect(s.update(claims: [:], now: 500) == .claim(expected))
    #expect(s.subnet == expected.subnet)
    #expect(s.bridgeAddress == p.bridgeAddress(for: expected.subnet))
    #expect(s.update(claims: [me: expected], now: 600) == .keep)
    #expect(s.update(claims: [:], now: 700) == .keep)
    #expect(s.claim == expected)
  }

  @Test func persistedClaimSurvivesARestart() {
    let p = F.plan()
    let me = F.id(77)
    let saved = F.claim("10.47.200.0/24", at: 10)
    var s = IPAMState(plan: p, id: me, persisted: saved)
    #expect(s.update(claims: [F.id(1): F.claim("10.47.3.0/24", at: 1)], now: 900) == .keep)
    #expect(s.claim == saved)
    // A claim that no longer fits the plan is dropped and replaced.
    var t = IPAMState(plan: F.plan("10.47.0.0/16", 20), id: me, persisted: saved)
    #expect(t.claim == nil)
    guard case .claim(let c) = t.update(claims: [:], now: 900) else {
      Issue.record("expected a new claim")
      return
    }
    #expect(c.subnet.prefixLength == 20 && c.claimedAt == 900)
  }

  @Test func hostWithLostStateAdoptsTheClaimGossipRemembers() {
    let p = F.plan()
    let me = F.id(77)
    let remembered = F.claim("10.47.42.0/24", at: 10)
    var s = IPAMState(plan: p, id: me)
    #expect(s.update(claims: [me: remembered], now: 900) == .claim(remembered))
    #expect(s.update(claims: [me: remembered], now: 901) == .keep)
  }

  @Test func loserReChoosesAFreeSubnet() {
    let p = F.plan("10.47.0.0/16", 20)
    let me = F.id(50)
    let contested = F.claim("10.47.16.0/20", at: 100)
    var s = IPAMState(plan: p, id: me, persisted: contested)
    // Another host claimed the same subnet earlier; others hold more subnets.
    var claims = [F.id(60): F.claim("10.47.16.0/20", at: 99)]
    for i in 0..<10 where p.subnet(at: i) != contested.subnet {
      claims[F.id(1000 + UInt64(i))] = SubnetClaim(subnet: p.subnet(at: i), claimedAt: 1)
    }
    guard case .claim(let fresh) = s.update(claims: claims, now: 5_000) else {
      Issue.record("the loser must claim again")
      return
    }
    #expect(fresh.claimedAt == 5_000)
    #expect(!claims.values.map(\.subnet).contains(fresh.subnet))
    claims[me] = fresh
    #expect(p.resolve(claims)[me] == fresh.subnet)
    #expect(s.update(claims: claims, now: 6_000) == .keep)
    // On a tie the lower ID wins, so here we keep.
    var w = IPAMState(plan: p, id: F.id(5), persisted: F.claim("10.47.16.0/20", at: 99))
    #expect(w.update(claims: [F.id(60): F.claim("10.47.16.0/20", at: 99)], now: 7) == .keep)
  }

  @Test func fullRangeIsExhaustedUntilAHostIsReleased() {
    var p = F.plan("10.47.0.0/16", 18)  // 4 subnets
    var claims: [PeerID: SubnetClaim] = [:]
    for i in 0..<4 {
      claims[F.id(UInt64(10 + i))] = SubnetClaim(subnet: p.subnet(at: i), claimedAt: 1)
    }
    let me = F.id(99)
    var s = IPAMState(plan: p, id: me)
    #expect(s.update(claims: claims, now: 2) == .exhausted)
    #expect(s.claim == nil)
    p.released.insert(F.id(12))
    s.plan = p
    #expect(
      s.update(claims: claims, now: 3) == .claim(SubnetClaim(subnet: p.subnet(at: 2), claimedAt: 3))
    )
    // The released host itself never claims again.
    var gone = IPAMState(plan: p, id: F.id(12), persisted: claims[F.id(12)])
    #expect(gone.claim == nil)
    #expect(gone.update(claims: claims, now: 4) == .keep)
    #expect(gone.claim == nil)
  }

  /// Many hosts start at once, all with a claim on the same subnet; rounds of gossip (each host
  /// sees every current claim, in its own order) must settle with no subnet held twice.
  @Test(arguments: 0..<30)
  func clusterConvergesAfterSimultaneousClaims(seed: Int) {
    var rng = IPAMTestRandom(seed: UInt64(seed) &+ 0xABCDEF)
    let hosts = Int.random(in: 2...50, using: &rng)
    let size = [22, 24, 26].randomElement(using: &rng)!  // 4, 16 or 64 subnets of a /20
    let p = F.plan("10.47.0.0/20", size)
    let same = p.subnet(at: Int.random(in: 0..<p.subnetCount, using: &rng))
    var states: [IPAMState] = []
    var seen = Set<PeerID>()
    while states.count < hosts {
      let id = F.id(rng.next())
      guard seen.insert(id).inserted else { continue }
      let claim = SubnetClaim(subnet: same, claimedAt: 1_000 + rng.next() % 2)
      states.append(IPAMState(plan: p, id: id, persisted: claim))
    }
    var now: UInt64 = 2_000
    var rounds = 0
    while true {
      var gossip: [PeerID: SubnetClaim] = [:]
      for s in states { if let c = s.claim { gossip[s.id] = c } }
      var changed = false
      for i in states.indices.shuffled(using: &rng) {
        var view: [PeerID: SubnetClaim] = [:]
        for (k, v) in gossip.shuffled(using: &rng) { view[k] = v }
        let before = states[i].claim
        // `.exhausted` repeats while the range stays full; only a changed claim is news.
        _ = states[i].update(claims: view, now: now + rng.next() % 3)
        if states[i].claim != before { changed = true }
      }
      now += 1_000
      rounds += 1
      if !changed { break }
      #expect(rounds < 200, "no convergence")
      if rounds >= 200 { return }
    }
    var final: [PeerID: SubnetClaim] = [:]
    for s in states { if let c = s.claim { final[s.id] = c } }
    let owners = p.resolve(final)
    #expect(owners.count == final.count)  // every held claim wins: nobody shares a subnet
    #expect(Set(owners.values).count == owners.count)
    #expect(owners.count == min(hosts, p.subnetCount))
    for s in states { #expect(owners[s.id] == s.claim?.subnet) }
  }
}
