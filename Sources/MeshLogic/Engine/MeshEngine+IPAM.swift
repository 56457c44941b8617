import MeshProtocol
import MeshTypes

/// IPAM in the mesh: each host claims a subnet of the cluster range in its gossiped record;
/// every host resolves conflicts the same way (the earlier claim wins), and a loser claims
/// again, but only within `MeshEngineConfiguration.ipamMoveWindow` of its claim (a warning
/// says Docker must be restarted); a later loser keeps its subnet and warns of the conflict. The node persists the claim and puts the bridge address on the bridge.
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
    let window = UInt64(max(0, configuration.ipamMoveWindow) * 1e9)
    let decision = state.update(
      claims: knownClaims, now: clock.wallNanoseconds(), moveWindow: window)
    ipamState = state
    switch decision {
    case .claim(let claim):
      if let old = localSubnet, old != claim.subnet {
        // Lost a conflict soon after claiming: the bridge address moves with the subnet.
        out.event(.subnetMoved(from: old, to: claim.subnet))
      }
      localClaim = claim
      localSubnet = claim.subnet
      localRecordDirty = true
      out.event(.subnetClaimed(claim))
    case .conflict(let claim, let winner):
      if lastSubnetConflictReport.map({
        now.seconds(since: $0) >= MeshEngine.subnetConflictReportInterval
      }) ?? true {
        lastSubnetConflictReport = now
        out.event(.subnetConflict(claim.subnet, winner: winner))
      }
    case .keep, .exhausted:
      break
    }
  }

  /// At most one `subnetConflict` report this often, in seconds.
  public static let subnetConflictReportInterval = 300.0

  /// Retires a host that is gone for good. With `tombstone`, an operator-signed tombstone for
  /// it (`PeerRecord.tombstone(signedBy:wallNanoseconds:)`), the tombstone is merged and
  /// gossiped: every host configured with that operator key drops the host from routes and
  /// claims. Without one the release is local: this host drops its session, and the mesh keeps
  /// the host's record (only the host itself or an operator may publish its tombstone).
  /// Returns false when the host is unknown or is this host, or when the tombstone is not a
  /// valid one for it that this host accepts.
  public mutating func release(_ peer: PeerID, now: MeshInstant, tombstone: PeerRecord? = nil)
    -> Bool
  {
    guard peer != id, gossiper.topology[peer] != nil else { return false }
    if let tombstone {
      guard tombstone.id == peer, tombstone.departed else { return false }
      let segment = RecordSegment(
        record: tombstone, totalConnections: tombstone.connections.count, offset: 0)
      // As if the departed host had sent it: it is checked like any record, and goes to every
      // neighbour at the next push.
      _ = gossiper.received(
        .records([segment]), from: peer, now: now, wall: clock.wallNanoseconds())
      guard gossiper.topology[peer] == tombstone else { return false }
    }
    removePeer(peer)
    return true
  }

  /// What an operator's release did.
  public enum ReleaseOutcome: Sendable, Equatable {
    /// The host is unknown (or is this host): nothing happened.
    case unknown
    /// Released here only: no operator key was given.
    case local
    /// Released here and gossiped as an operator-signed tombstone.
    case meshWide
    /// The tombstone was refused: this host does not trust the operator key that signed it
    /// (start it with that key's public half, `meshd up --operator-key`).
    case untrustedOperator
  }

  /// Retires `peer`: with `operatorKey`, signs a tombstone for it with that key and gossips
  /// it (see `release(_:now:tombstone:)`); without, locally only.
  public mutating func release(_ peer: PeerID, now: MeshInstant, operatorKey: OperatorKey?)
    -> ReleaseOutcome
  {
    guard peer != id, gossiper.topology[peer] != nil else { return .unknown }
    guard let operatorKey else { return release(peer, now: now) ? .local : .unknown }
    guard configuration.operatorKeys.contains(operatorKey.publicKey) else {
      return .untrustedOperator
    }
    guard let tombstone = operatorTombstone(for: peer, signedBy: operatorKey),
      release(peer, now: now, tombstone: tombstone)
    else { return .unknown }
    return .meshWide
  }

  /// An operator-signed tombstone for `peer` made from the record this host holds, for
  /// `release(_:now:tombstone:)` here or on any host; nil when the host is unknown.
  public func operatorTombstone(for peer: PeerID, signedBy key: OperatorKey) -> PeerRecord? {
    gossiper.topology[peer]?.tombstone(signedBy: key, wallNanoseconds: clock.wallNanoseconds())
  }

  /// The claims the mesh holds after conflict resolution, by host, for status output.
  public var resolvedClaims: [PeerID: IPv4Network] {
    guard let plan = ipamState?.plan else { return [:] }
    return plan.resolve(knownClaims)
  }
}
