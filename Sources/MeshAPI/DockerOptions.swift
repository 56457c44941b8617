import MeshLogic
import MeshTypes

/// The `dockerd` settings that put Docker's containers on the mesh: the bridge, this host's
/// subnet as `--fixed-cidr`, and the mesh MTU. Read from the daemon's `/v1/status` document and
/// printed by `meshd docker-opts` as flags or as a `daemon.json` fragment.
///
/// ```swift
/// let opts = try DockerOptions(status: JSONValue.parse(body))  // or (status:host:), typed
/// opts.commandLine  // --bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425
/// opts.daemonJSON   // {"bridge": "br0", "fixed-cidr": "10.47.5.0/24", "mtu": 1425}
/// ```
public struct DockerOptions: Hashable, Sendable {
  /// The bridge Docker attaches containers to (`--bridge`).
  public var bridge: String
  /// This host's subnet, from which Docker hands out container addresses (`--fixed-cidr`).
  public var fixedCIDR: IPv4Network
  /// The containers' MTU (`--mtu`): the mesh MTU, so no frame is too big for the TAP.
  public var mtu: Int
  /// The mesh DNS server's address (`--dns`), nil when meshd runs without DNS or the bridge
  /// has no address yet.
  public var dnsServer: String?
  /// The mesh domain (`--dns-search`), so containers find `web` as `web.mesh.internal`.
  public var dnsSearch: String?

  /// Wraps the settings.
  public init(
    bridge: String, fixedCIDR: IPv4Network, mtu: Int, dnsServer: String? = nil,
    dnsSearch: String? = nil
  ) {
    self.bridge = bridge
    self.fixedCIDR = fixedCIDR
    self.mtu = mtu
    self.dnsServer = dnsServer
    self.dnsSearch = dnsSearch
  }

  /// Reads the settings from a `/v1/status` document: its `bridge`, `subnet` and `mtu`
  /// members. A missing or null `subnet` means the daemon runs without IPAM, or, when the
  /// document names an `ipam_range`, that the claim is pending.
  public init(status: JSONValue) throws(DockerOptionsError) {
    guard case .object = status else { throw .notAnObject }
    guard let bridge = status["bridge"]?.stringValue, !bridge.isEmpty else {
      throw .invalidField("bridge")
    }
    guard let mtu = status["mtu"]?.intValue, mtu > 0 else { throw .invalidField("mtu") }
    let subnet: IPv4Network
    switch status["subnet"] {
    case nil, .null?:
      if case .string? = status["ipam_range"] { throw .claimPending }
      throw .noSubnet
    case .string(let text)?:
      guard let net = IPv4Network(text), net.address == net.networkAddress else {
        throw .invalidField("subnet")
      }
      subnet = net
    default:
      throw .invalidField("subnet")
    }
    self.init(bridge: bridge, fixedCIDR: subnet, mtu: mtu)
    let range = status["ipam_range"]?.stringValue.flatMap(IPv4Network.init)
    try setDNS(status["dns"].flatMap(DNSStatus.init(json:)), range: range)
  }

  /// Takes `--dns` and `--dns-search` from the DNS server's status when it listens on port 53
  /// (Docker's `--dns` has no port).
  /// Throws `.dnsPending` while the server is not settled on the bridge's address (see
  /// `DNSStatus.isPending(subnet:range:)`).
  mutating func setDNS(_ dns: DNSStatus?, range: IPv4Network?) throws(DockerOptionsError) {
    guard let dns else { return }
    if dns.isPending(subnet: fixedCIDR, range: range) { throw .dnsPending }
    guard let address = dns.address, dns.port == 53 else { return }
    dnsServer = address
    dnsSearch = dns.domain
  }

  /// Reads the settings from a decoded `/v1/status`: the host's bridge and MTU and this
  /// host's subnet. No subnet means the daemon runs without IPAM, or, with an IPAM range in
  /// the host facts, that the claim is pending.
  public init(status: MeshStatus, host: MeshStatus.HostFacts) throws(DockerOptionsError) {
    guard !host.bridge.isEmpty else { throw .invalidField("bridge") }
    guard host.mtu > 0 else { throw .invalidField("mtu") }
    guard let subnet = status.subnet ?? host.subnet else {
      throw host.ipamRange == nil ? .noSubnet : .claimPending
    }
    guard subnet.address == subnet.networkAddress else { throw .invalidField("subnet") }
    self.init(bridge: host.bridge, fixedCIDR: subnet, mtu: host.mtu)
    try setDNS(host.dns, range: host.ipamRange)
  }

  /// One line of `dockerd` flags: `--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425`, then
  /// `--dns=10.47.5.1 --dns-search=mesh.internal` when the mesh DNS server runs.
  public var commandLine: String {
    var line = "--bridge=\(bridge) --fixed-cidr=\(fixedCIDR) --mtu=\(mtu)"
    if let dnsServer { line += " --dns=\(dnsServer)" }
    if let dnsSearch { line += " --dns-search=\(dnsSearch)" }
    return line
  }

  /// The same settings as a `/etc/docker/daemon.json` fragment, on one line:
  /// `{"bridge": "br0", "fixed-cidr": "10.47.5.0/24", "mtu": 1425}`.
  public var daemonJSON: String {
    let name = JSONValue.string(bridge).serialized()
    var json = "{\"bridge\": \(name), \"fixed-cidr\": \"\(fixedCIDR)\", \"mtu\": \(mtu)"
    if let dnsServer { json += ", \"dns\": [\(JSONValue.string(dnsServer).serialized())]" }
    if let dnsSearch { json += ", \"dns-search\": [\(JSONValue.string(dnsSearch).serialized())]" }
    return json + "}"
  }
}
