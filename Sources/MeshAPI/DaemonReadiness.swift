import MeshLogic
import MeshTypes

/// How far a starting daemon is, judged from its status: systemd's `READY=1` and the Docker
/// environment file wait for ``ready``; the other phases give the `STATUS=` line shown while
/// waiting.
public enum DaemonReadiness: Hashable, Sendable {
  /// The TAP is not (yet, or no longer) a port of the bridge.
  case joiningBridge(bridge: String)
  /// The daemon runs with IPAM and has not claimed its subnet yet.
  case claimPending(range: IPv4Network)
  /// The DNS server is on but not bound to the bridge address yet (it follows the address
  /// the claim gives the bridge): Docker's `--dns` needs it.
  case dnsPending
  /// The TAP is a port of the bridge, with IPAM the subnet is claimed, and the DNS server (if
  /// on) listens on the bridge address or has failed to (then Docker goes without `--dns`).
  case ready(DockerEnvironmentFile)

  /// Judges a status snapshot: ready once the TAP is up on an attached bridge and, with an
  /// IPAM range, a subnet is claimed.
  public init(status: MeshStatus, host: MeshStatus.HostFacts) {
    guard status.tapState == "up", status.bridgeState == "attached" else {
      self = .joiningBridge(bridge: host.bridge)
      return
    }
    let subnet = status.subnet ?? host.subnet
    if let range = host.ipamRange, subnet == nil {
      self = .claimPending(range: range)
      return
    }
    var file = DockerEnvironmentFile(bridge: host.bridge, subnet: subnet, mtu: host.mtu)
    if let dns = host.dns {
      if dns.isPending(subnet: subnet, range: host.ipamRange) {
        self = .dnsPending
        return
      }
      if let address = dns.address, dns.port == 53 { file.dns = (address, dns.domain) }
    }
    self = .ready(file)
  }

  /// Whether start-up is complete.
  public var isReady: Bool {
    if case .ready = self { return true }
    return false
  }

  /// The one-line `STATUS=` text for systemd.
  public var statusLine: String {
    switch self {
    case .joiningBridge(let bridge): "joining bridge \(bridge)"
    case .claimPending(let range): "claim pending: claiming a subnet of \(range)"
    case .dnsPending: "starting the DNS server on the bridge address"
    case .ready(let env):
      if let subnet = env.subnet {
        "ready: subnet \(subnet) on \(env.bridge), MTU \(env.mtu)"
      } else {
        "ready on \(env.bridge), MTU \(env.mtu) (no IPAM)"
      }
    }
  }
}
