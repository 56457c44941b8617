import MeshTypes

/// How a cluster range is cut into per-host subnets, and how claims on them are settled.
///
/// Pure and deterministic: every host that has the same plan and sees the same claims computes
/// the same owners, whatever order the claims arrived in. A value type with no I/O and no
/// clock; the caller brings claims and times.
///
/// ```swift
/// let plan = try IPAMPlan(range: IPv4Network("10.47.0.0/16")!, subnetSize: 24)
/// let mine = plan.choose(for: myID, held: claimsFromGossip)   // 10.47.x.0/24 or nil
/// plan.bridgeAddress(for: mine!)                              // 10.47.x.1/16
/// ```
public struct IPAMPlan: Hashable, Sendable {
  /// The cluster range, such as 10.47.0.0/16: every bridge address carries its prefix length.
  public let range: IPv4Network
  /// The prefix length of each host's subnet, such as 24.
  public let subnetSize: Int
  /// Hosts the operator released for good: their claims are ignored, their subnets free.
  public var released: Set<PeerID>

  /// Validates and creates a plan: `range` must be a network address, and `subnetSize` must
  /// lie between the range's prefix length and 30.
  public init(
    range: IPv4Network, subnetSize: Int, released: Set<PeerID> = []
  ) throws(IPAMPlanError) {
    guard range.address == range.networkAddress else {
      throw .rangeNotNetworkAddress(range)
    }
    guard subnetSize >= range.prefixLength else {
      throw .subnetLargerThanRange(range: range, subnetSize: subnetSize)
    }
    guard subnetSize <= 30 else { throw .subnetTooSmall(subnetSize) }
    self.range = range
    self.subnetSize = subnetSize
    self.released = released
  }

  /// How many subnets the range holds: 2^(subnetSize − range prefix).
  public var subnetCount: Int { 1 << (subnetSize - range.prefixLength) }

  /// The subnet at `index`, counted from the start of the range; `index` must be below
  /// `subnetCount`.
  public func subnet(at index: Int) -> IPv4Network {
    precondition(index >= 0 && index < subnetCount, "subnet index \(index) out of range")
    let step = UInt32(1) << UInt32(32 - subnetSize)
    return IPv4Network(
      address: range.networkAddress &+ UInt32(index) &* step, prefixLength: subnetSize)
  }

  /// The index of `subnet`, or nil when it is not one of this plan's subnets (wrong prefix
  /// length, host bits set, or outside the range). Claims on such subnets are ignored.
  public func index(of subnet: IPv4Network) -> Int? {
    guard subnet.prefixLength == subnetSize, subnet.address == subnet.networkAddress,
      range.contains(subnet.address)
    else { return nil }
    return Int((subnet.address - range.networkAddress) >> UInt32(32 - subnetSize))
  }

  /// Where `id` starts looking for a subnet: a mix of its bits modulo `subnetCount`, so that
  /// hosts spread over the range and rarely collide even when they all start at once.
  public func preferredIndex(for id: PeerID) -> Int {
    // The SplitMix64 finalizer: every input bit affects every output bit.
    var z = id.rawValue
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Int(z % UInt64(subnetCount))
  }

  /// Whether a claim counts at all: its holder is not released and its subnet is one of ours.
  public func isValid(_ claim: SubnetClaim, of owner: PeerID) -> Bool {
    !released.contains(owner) && index(of: claim.subnet) != nil
  }

  /// Settles all claims: for each subnet claimed by several hosts, the earliest claim wins and
  /// ties go to the lower peer ID. Losers, released hosts and claims outside the plan get no
  /// entry. The result does not depend on the order of `claims`, and no subnet appears twice.
  public func resolve(_ claims: [PeerID: SubnetClaim]) -> [PeerID: IPv4Network] {
    var winners: [IPv4Network: (owner: PeerID, claim: SubnetClaim)] = [:]
    for (owner, claim) in claims where isValid(claim, of: owner) {
      if let best = winners[claim.subnet],
        !SubnetClaim.precedes(claim, of: owner, best.claim, of: best.owner)
      {
        continue
      }
      winners[claim.subnet] = (owner, claim)
    }
    var owners: [PeerID: IPv4Network] = [:]
    for (subnet, winner) in winners { owners[winner.owner] = subnet }
    return owners
  }

  /// A subnet for `id` that no other valid claim in `held` names: the first free one probing
  /// upwards (wrapping) from `preferredIndex(for:)`. `id`'s own entry in `held` is ignored.
  /// Nil when every subnet is taken.
  public func choose(for id: PeerID, held: [PeerID: SubnetClaim]) -> IPv4Network? {
    var taken = Set<Int>()
    for (owner, claim) in held where owner != id && isValid(claim, of: owner) {
      taken.insert(index(of: claim.subnet)!)
    }
    let count = subnetCount
    guard taken.count < count else { return nil }
    // At most taken.count + 1 probes: the loop ends long before wrapping a large range.
    var i = preferredIndex(for: id)
    while taken.contains(i) { i = i + 1 == count ? 0 : i + 1 }
    return subnet(at: i)
  }

  /// The bridge's address for a host subnet: the subnet's first host address with the range's
  /// prefix length, so that the bridge reaches every host of the cluster directly
  /// (10.47.5.0/24 in 10.47.0.0/16 gives 10.47.5.1/16).
  public func bridgeAddress(for subnet: IPv4Network) -> IPv4Network {
    IPv4Network(address: subnet.networkAddress &+ 1, prefixLength: range.prefixLength)
  }
}
