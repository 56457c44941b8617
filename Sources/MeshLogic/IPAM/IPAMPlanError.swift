import MeshTypes

/// Why an IPAM plan is not usable; each case names the offending value.
public enum IPAMPlanError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The range has host bits set, e.g. `10.47.1.0/16`.
  case rangeNotNetworkAddress(IPv4Network)
  /// The subnet size is shorter than the range's prefix, e.g. /8 subnets of a /16.
  case subnetLargerThanRange(range: IPv4Network, subnetSize: Int)
  /// The subnet size is over 30: such a subnet leaves no room for a bridge and containers.
  case subnetTooSmall(Int)

  /// One line for the operator.
  public var description: String {
    switch self {
    case .rangeNotNetworkAddress(let r):
      "IPAM range \(r) is not a network address (did you mean \(r.network)?)"
    case .subnetLargerThanRange(let r, let n):
      "IPAM subnet size /\(n) is larger than the range \(r): it must be /\(r.prefixLength) to /30"
    case .subnetTooSmall(let n):
      "IPAM subnet size /\(n) is too small: at most /30 (a bridge and at least one container)"
    }
  }
}
