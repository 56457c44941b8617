import MeshCore
import Testing

/// A repeatable generator for IPAM property tests (SplitMix64).
struct IPAMTestRandom: RandomNumberGenerator {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Shorthands for IPAM tests.
enum IPAMFixture {
  static func net(_ text: String) -> IPv4Network { IPv4Network(text)! }
  static func plan(_ range: String = "10.47.0.0/16", _ size: Int = 24) -> IPAMPlan {
    try! IPAMPlan(range: net(range), subnetSize: size)
  }
  static func id(_ v: UInt64) -> PeerID { PeerID(rawValue: v) }
  static func claim(_ subnet: String, at t: UInt64) -> SubnetClaim {
    SubnetClaim(subnet: net(subnet), claimedAt: t)
  }
}

@Suite struct IPAMPlanTests {
  typealias F = IPAMFixture

  @Test func validPlansCountAndIndexTheirSubnets() throws {
    let p = F.plan()
    #expect(p.subnetCount == 256)
    #expect(p.subnet(at: 0) == F.net("10.47.0.0/24"))
    #expect(p.subnet(at: 5) == F.net("10.47.5.0/24"))
    #expect(p.subnet(at: 255) == F.net("10.47.255.0/24"))
    #expect(p.index(of: F.net("10.47.5.0/24")) == 5)
    #expect(p.index(of: F.net("10.47.5.1/24")) == nil)
    #expect(p.index(of: F.net("10.47.5.0/25")) == nil)
    #expect(p.index(of: F.net("10.48.5.0/24")) == nil)
    let whole = try IPAMPlan(range: F.net("10.47.0.0/16"), subnetSize: 16)
    #expect(whole.subnetCount == 1)
    #expect(whole.subnet(at: 0) == F.net("10.47.0.0/16"))
    let tiny = try IPAMPlan(range: F.net("10.47.0.0/16"), subnetSize: 30)
    #expect(tiny.subnetCount == 16384)
    #expect(tiny.subnet(at: 3) == F.net("10.47.0.12/30"))
    let everything = try IPAMPlan(range: F.net("0.0.0.0/0"), subnetSize: 30)
    #expect(everything.subnetCount == 1 << 30)
    #expect(everything.subnet(at: (1 << 30) - 1) == F.net("255.255.255.252/30"))
  }

  @Test func invalidPlansAreRejectedNamingTheProblem() {
    #expect(throws: IPAMPlanError.rangeNotNetworkAddress(F.net("10.47.1.0/16"))) {
      try IPAMPlan(range: F.net("10.47.1.0/16"), subnetSize: 24)
    }
    #expect(
      throws: IPAMPlanError.subnetLargerThanRange(range: F.net("10.47.0.0/16"), subnetSize: 8)
    ) {
      try IPAMPlan(range: F.net("10.47.0.0/16"), subnetSize: 8)
    }
    #expect(throws: IPAMPlanError.subnetTooSmall(31)) {
      try IPAMPlan(range: F.net("10.47.0.0/16"), subnetSize: 31)
    }
    #expect(throws: IPAMPlanError.subnetTooSmall(32)) {
      try IPAMPlan(range: F.net("10.47.0.0/24"), subnetSize: 32)
    }
    let text = IPAMPlanError.rangeNotNetworkAddress(F.net("10.47.1.0/16")).description
    #expect(text.contains("10.47.1.0/16") && text.contains("10.47.0.0/16"))
    #expect(IPAMPlanError.subnetTooSmall(31).description.contains("/31"))
  }

  @Test func bridgeAddressIsFirstHostWithRangePrefix() {
    let p = F.plan()
    #expect(p.bridgeAddress(for: F.net("10.47.5.0/24")) == F.net("10.47.5.1/16"))
    #expect(p.bridgeAddress(for: F.net("10.47.0.0/24")) == F.net("10.47.0.1/16"))
    let q = F.plan("10.2.0.0/16", 26)
    #expect(q.bridgeAddress(for: F.net("10.2.3.192/26")) == F.net("10.2.3.193/16"))
    let r = F.plan("172.20.0.0/14", 20)
    #expect(r.bridgeAddress(for: r.subnet(at: 63)) == F.net("172.23.240.1/14"))
  }

  @Test func preferredIndexIsDeterministicAndSpreads() {
    let p = F.plan()
    var rng = IPAMTestRandom(seed: 7)
    var hits = [Int](repeating: 0, count: p.subnetCount)
    for _ in 0..<25_600 {
      let id = F.id(rng.next())
      let i = p.preferredIndex(for: id)
      #expect(i == p.preferredIndex(for: id))
      hits[i] += 1
    }
    // 100 expected per bucket; a fair hash keeps every bucket well inside 40...180.
    #expect(hits.min()! > 40 && hits.max()! < 180)
    // Sequential IDs spread too.
    let sequential = Set((0..<64).map { p.preferredIndex(for: F.id(UInt64($0))) })
    #expect(sequential.count > 48)
  }

  @Test func chooseProbesUpwardsFromThePreferredSubnetAndWraps() {
    let p = F.plan("10.47.0.0/16", 20)  // 16 subnets
    let me = F.id(42)
    let start = p.preferredIndex(for: me)
    #expect(p.choose(for: me, held: [:]) == p.subnet(at: start))
    var held: [PeerID: SubnetClaim] = [:]
    for k in 0..<3 {
      let s = p.subnet(at: (start + k) % 16)
      held[F.id(1000 + UInt64(k))] = SubnetClaim(subnet: s, claimedAt: 1)
    }
    #expect(p.choose(for: me, held: held) == p.subnet(at: (start + 3) % 16))
    // Our own stale entry does not block us; claims outside the plan block nothing.
    held[me] = SubnetClaim(subnet: p.subnet(at: (start + 3) % 16), claimedAt: 1)
    held[F.id(9)] = F.claim("10.99.0.0/20", at: 1)
    #expect(p.choose(for: me, held: held) == p.subnet(at: (start + 3) % 16))
  }

  @Test func chooseReturnsNilWhenFullAndTheLastFreeSubnetOtherwise() {
    let p = F.plan("10.47.0.0/16", 20)
    var held: [PeerID: SubnetClaim] = [:]
    for i in 0..<16 {
      held[F.id(UInt64(100 + i))] = SubnetClaim(subnet: p.subnet(at: i), claimedAt: 5)
    }
    #expect(p.choose(for: F.id(1), held: held) == nil)
    held[F.id(107)] = nil
    #expect(p.choose(for: F.id(1), held: held) == p.subnet(at: 7))
    // A huge, empty range answers at once.
    let big = try! IPAMPlan(range: F.net("0.0.0.0/0"), subnetSize: 30)
    #expect(big.choose(for: F.id(1), held: [:]) != nil)
  }

  @Test func releasedHostsFreeTheirSubnets() {
    var p = F.plan("10.47.0.0/16", 17)  // 2 subnets
    let a = F.id(1)
    let b = F.id(2)
    let held = [a: F.claim("10.47.0.0/17", at: 1), b: F.claim("10.47.128.0/17", at: 2)]
    #expect(p.choose(for: F.id(3), held: held) == nil)
    #expect(p.resolve(held) == [a: F.net("10.47.0.0/17"), b: F.net("10.47.128.0/17")])
    p.released.insert(a)
    #expect(p.choose(for: F.id(3), held: held) == F.net("10.47.0.0/17"))
    #expect(p.resolve(held) == [b: F.net("10.47.128.0/17")])
  }

  @Test func resolveEarliestWinsThenLowerID() {
    let p = F.plan()
    let s = "10.47.9.0/24"
    let claims = [
      F.id(5): F.claim(s, at: 20), F.id(9): F.claim(s, at: 10), F.id(3): F.claim(s, at: 30),
    ]
    #expect(p.resolve(claims) == [F.id(9): F.net(s)])
    let tie = [F.id(5): F.claim(s, at: 10), F.id(9): F.claim(s, at: 10)]
    #expect(p.resolve(tie) == [F.id(5): F.net(s)])
    // Claims outside the plan are ignored, other subnets are untouched.
    let mixed = [F.id(1): F.claim("10.47.9.0/25", at: 1), F.id(2): F.claim("10.47.8.0/24", at: 99)]
    #expect(p.resolve(mixed) == [F.id(2): F.net("10.47.8.0/24")])
  }

  @Test(arguments: 0..<40)
  func simultaneousClaimsResolveIdenticallyOnEveryHost(seed: Int) {
    var rng = IPAMTestRandom(seed: UInt64(seed) &* 0x1234_5678_9ABC)
    let p = F.plan()
    let hosts = Int.random(in: 2...50, using: &rng)
    // Everyone grabs one of a few subnets in the same instant (or nearly).
    let subnets = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
      p.subnet(at: Int.random(in: 0..<p.subnetCount, using: &rng))
    }
    var entries: [(PeerID, SubnetClaim)] = []
    var ids = Set<PeerID>()
    while entries.count < hosts {
      let id = F.id(rng.next() % 1000)
      guard ids.insert(id).inserted else { continue }
      let claim = SubnetClaim(
        subnet: subnets.randomElement(using: &rng)!, claimedAt: 1_000 + rng.next() % 3)
      entries.append((id, claim))
    }
    var views: [[PeerID: IPv4Network]] = []
    for _ in 0..<hosts {
      var claims: [PeerID: SubnetClaim] = [:]
      for (id, c) in entries.shuffled(using: &rng) { claims[id] = c }
      views.append(p.resolve(claims))
    }
    #expect(Set(views).count == 1)
    let owners = views[0]
    #expect(Set(owners.values).count == owners.count)
    for s in Set(subnets) {
      let contenders = entries.filter { $0.1.subnet == s }
      guard !contenders.isEmpty else { continue }
      let best = contenders.min { SubnetClaim.precedes($0.1, of: $0.0, $1.1, of: $1.0) }!
      #expect(owners[best.0] == s)
      #expect(owners.filter { $0.value == s }.count == 1)
    }
  }
}
