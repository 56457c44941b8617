import MeshTypes

/// One host's claim on a subnet of the cluster range, as it travels in gossip and sits in the
/// state directory.
///
/// Two hosts may claim the same subnet at about the same time (a partition, a simultaneous
/// start). Every host settles such a conflict the same way: the earlier `claimedAt` wins, and on
/// a tie the lower `PeerID` wins. The loser drops its claim and chooses again.
public struct SubnetClaim: Hashable, Sendable, CustomStringConvertible {
  /// The claimed subnet: a network address with the plan's subnet prefix length.
  public var subnet: IPv4Network
  /// When the claim was made, in wall-clock nanoseconds since the Unix epoch. Wall-clock rather
  /// than monotonic time, because claims from different hosts are compared.
  public var claimedAt: UInt64

  /// Creates a claim on `subnet` made at `claimedAt` (wall-clock nanoseconds).
  public init(subnet: IPv4Network, claimedAt: UInt64) {
    self.subnet = subnet
    self.claimedAt = claimedAt
  }

  /// `10.47.5.0/24@1700000000000000000`: the subnet and the claim time.
  public var description: String { "\(subnet)@\(claimedAt)" }

  /// Whether `claim`, held by `owner`, beats `other`, held by `otherOwner`, for the same subnet:
  /// the earlier claim wins; on equal times the lower peer ID wins. A total order on distinct
  /// owners, so every host that sees the same claims picks the same winner.
  public static func precedes(
    _ claim: SubnetClaim, of owner: PeerID, _ other: SubnetClaim, of otherOwner: PeerID
  ) -> Bool {
    if claim.claimedAt != other.claimedAt { return claim.claimedAt < other.claimedAt }
    return owner < otherOwner
  }
}
