import MeshTypes

/// One host's side of IPAM: the claim it holds and what to do when gossip shows it the
/// cluster's claims.
///
/// A value-type state machine with no I/O and no clock reads: the owner passes in the claims it
/// learned and the wall-clock time, persists and announces the claim it gets back in
/// `IPAMDecision.claim`, and applies `subnet` to the bridge and Docker.
///
/// ```swift
/// var ipam = IPAMState(plan: plan, id: myID, persisted: stateDir.loadClaim())
/// switch ipam.update(claims: gossip.claims, now: wallClockNanoseconds) {
/// case .claim(let c): stateDir.save(c); gossip.announce(c)
/// case .keep, .exhausted: break
/// }
/// ```
public struct IPAMState: Hashable, Sendable {
  /// The cluster's plan. Assign a new one to change the released set; the next `update` acts
  /// on it.
  public var plan: IPAMPlan
  /// This host's ID.
  public let id: PeerID
  /// The claim this host holds, if any. It is provisional until an `update` has kept it.
  public private(set) var claim: SubnetClaim?

  /// Starts from a persisted claim, if there is one; a claim that does not fit the plan (the
  /// range or subnet size changed) is dropped, and the next `update` makes a new one.
  public init(plan: IPAMPlan, id: PeerID, persisted: SubnetClaim? = nil) {
    self.plan = plan
    self.id = id
    if let persisted, plan.isValid(persisted, of: id) { claim = persisted }
  }

  /// This host's subnet, if it holds a claim.
  public var subnet: IPv4Network? { claim?.subnet }

  /// The bridge address for this host's subnet, if it holds a claim.
  public var bridgeAddress: IPv4Network? { claim.map { plan.bridgeAddress(for: $0.subnet) } }

  /// Reacts to the claims learned from the cluster (this host's own entry may be among them).
  ///
  /// - Keeps the current claim when it wins.
  /// - With no claim of its own, adopts a valid claim that gossip still carries for this host
  ///   (state lost on restart) if it wins, else chooses a free subnet claimed at `wall`.
  /// - After losing a conflict, chooses a free subnet claimed at `wall`, but only while the
  ///   lost claim is at most `moveWindow` nanoseconds old: past that the subnet may be in use
  ///   (the bridge has its address, Docker may have started on it), so the claim is kept and
  ///   `.conflict` returned. The older claim never moves (it wins).
  /// - Returns `.exhausted` (and holds nothing) when no subnet is free, `.keep` with no claim
  ///   when the operator released this host.
  public mutating func update(
    claims: [PeerID: SubnetClaim], now wall: UInt64, moveWindow: UInt64 = .max
  ) -> IPAMDecision {
    guard !plan.released.contains(id) else {
      claim = nil
      return .keep
    }
    var all = claims
    var adopted = false
    if let claim {
      all[id] = claim
    } else if let remembered = claims[id], plan.isValid(remembered, of: id) {
      claim = remembered
      adopted = true
    } else {
      all[id] = nil
    }
    let resolved = plan.resolve(all)
    if let claim, resolved[id] == claim.subnet {
      return adopted ? .claim(claim) : .keep
    }
    if let claim, !adopted, plan.isValid(claim, of: id), wall >= claim.claimedAt,
      wall - claim.claimedAt > moveWindow
    {
      let winner = resolved.first { $0.key != id && $0.value == claim.subnet }?.key
      return .conflict(claim, winner: winner)
    }
    guard let subnet = plan.choose(for: id, held: all) else {
      claim = nil
      return .exhausted
    }
    let fresh = SubnetClaim(subnet: subnet, claimedAt: wall)
    claim = fresh
    return .claim(fresh)
  }
}
