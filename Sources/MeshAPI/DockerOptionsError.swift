/// Why a status document gives no Docker settings.
public enum DockerOptionsError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The daemon runs without IPAM, so it has no subnet for `--fixed-cidr`.
  case noSubnet
  /// The daemon runs with IPAM and has not claimed its subnet yet: ask again soon
  /// (`meshd docker-opts --wait` does).
  case claimPending
  /// The subnet is claimed but the DNS server does not listen on the bridge's (new) address
  /// yet: ask again in a moment (`--wait` does), so Docker's `--dns` is the right address.
  case dnsPending
  /// The status body is not a JSON object.
  case notAnObject
  /// A member is missing or malformed; the associated value names it.
  case invalidField(String)

  /// One line for the operator.
  public var description: String {
    switch self {
    case .noSubnet: "meshd has no subnet: start it with --ipam-range"
    case .claimPending: "meshd has not claimed its subnet yet (claim pending)"
    case .dnsPending:
      "meshd's DNS server does not listen on the bridge address yet (the claim is being applied)"
    case .notAnObject: "meshd sent a status that is not a JSON object"
    case .invalidField(let f): "meshd sent a status with a missing or malformed \"\(f)\""
    }
  }
}
