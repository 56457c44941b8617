import MeshTypes

/// What an `IPAMState` asks its owner to do after it has seen the cluster's claims.
public enum IPAMDecision: Hashable, Sendable {
  /// Nothing changes: our claim stands (or, for a released host, there is none to make).
  case keep
  /// Persist this claim and announce it to the cluster. Made when the host had no claim, lost
  /// a conflict, or adopted the claim that gossip still carried for it.
  case claim(SubnetClaim)
  /// Every subnet of the range is taken: the host holds nothing until one is freed.
  case exhausted
  /// The host lost a conflict on this claim, but the claim is older than the move window
  /// (Docker may already use the subnet): it keeps the subnet, which `winner` holds with an
  /// older claim. An operator must resolve it (release one of the hosts).
  case conflict(SubnetClaim, winner: PeerID?)
}
