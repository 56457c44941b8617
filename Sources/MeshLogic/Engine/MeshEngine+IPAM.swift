import MeshTypes

/// IPAM in the mesh: each host claims a subnet of the cluster range in its gossiped record;
/// every host resolves conflicts the same way (the earlier claim wins), and a loser claims
/// again. The node persists the claim and puts the bridge address on the bridge.
extension MeshEngine {
  /// How long a new host listens to gossip before it claims, so that it sees the claims
  /// already made.
  public static let claimSettleTime = 3.0

  /// Every claim in the topology, this host's included.
  var knownClaims: [PeerID: SubnetClaim] {
    var claims: [PeerID: SubnetClaim] = [:]
    for record in gossiper.topology.records.values where !record.departed {
      if let subnet = record.subnet {
        claims[record.id] = SubnetClaim(subnet: subnet, claimedAt: record.subnetClaimedAt)
      }
    }
    return claims
  }

  /// Keeps this host's claim, or claims a subnet when it has none or lost a conflict.
  mutating func tickIPAM(now: MeshInstant, out: inout some EngineOutput) {
    guard var state = ipamState else { return }
    if claimNotBefore == nil { claimNotBefore = now.adding(seconds: MeshEngine.claimSettleTime) }
    guard state.claim != nil || now >= claimNotBefore! else { return }
    let decision = state.update(claims: knownClaims, now: clock.wallNanoseconds())
    ipamState = state
    switch decision {
    case .claim(let claim):
      localClaim = claim
      localSubnet = claim.subnet
      localRecordDirty = true
      out.event(.subnetClaimed(claim))
    case .keep, .exhausted:
      break
    }
  }

  /// Releases the subnet of a host that is gone for good: publishes a tombstone for it, which
  /// every host merges (it has a higher version) and drops from routes and claims. Returns
  /// false when the host is unknown or is this host.
  public mutating func release(_ peer: PeerID, now: MeshInstant) -> Bool {
    guard peer != id, var record = gossiper.topology[peer] else { return false }
    record.version &+= 1
    record.departed = true
    record.subnet = nil
    record.subnetClaimedAt = 0
    record.connections = []
    let segment = RecordSegment(record: record, totalConnections: 0, offset: 0)
    // As if the departed host had sent it: then it goes to every neighbour at the next push.
    _ = gossiper.received(.records([segment]), from: peer, now: now)
    removePeer(peer)
    return true
  }

  /// The claims the mesh holds after conflict resolution, by host, for status output.
  public var resolvedClaims: [PeerID: IPv4Network] {
    guard let plan = ipamState?.plan else { return [:] }
    return plan.resolve(knownClaims)
  }
}
