import MeshLogic
import MeshTypes

/// The environment file meshd writes for `dockerd` (as flannel writes `subnet.env`): systemd's
/// `EnvironmentFile=` syntax, read by the Docker drop-in the package ships
/// (`ExecStart=/usr/sbin/dockerd … $DOCKER_OPTS $MESHD_DOCKER_OPTS`), so that Docker starts with
/// the mesh's bridge, subnet and MTU without a shell wrapper.
///
/// ```
/// MESHD_BRIDGE=br0
/// MESHD_SUBNET=10.47.5.0/24
/// MESHD_MTU=1425
/// MESHD_DOCKER_OPTS="--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425"
/// ```
///
/// The variable is `MESHD_DOCKER_OPTS`, not `DOCKER_OPTS`: Debian's docker.service already reads
/// `DOCKER_OPTS` from `/etc/default/docker`, and the operator's options there stay in force.
public struct DockerEnvironmentFile: Hashable, Sendable {
  /// The bridge Docker attaches containers to.
  public var bridge: String
  /// This host's subnet (`--fixed-cidr`); nil without IPAM, when Docker takes the bridge's
  /// own network.
  public var subnet: IPv4Network?
  /// The mesh MTU.
  public var mtu: Int
  /// The mesh DNS server (`--dns`) and domain (`--dns-search`); nil without DNS.
  public var dns: (server: String, search: String)? {
    get { dnsServer.map { ($0, dnsSearch ?? "") } }
    set {
      dnsServer = newValue?.server
      dnsSearch = newValue?.search
    }
  }
  var dnsServer: String?
  var dnsSearch: String?

  /// Wraps the settings.
  public init(bridge: String, subnet: IPv4Network?, mtu: Int) {
    self.bridge = bridge
    self.subnet = subnet
    self.mtu = mtu
  }

  /// The `dockerd` flags: those of `meshd docker-opts`, without `--fixed-cidr` when there is
  /// no subnet.
  public var dockerOptions: String {
    if let subnet {
      return DockerOptions(
        bridge: bridge, fixedCIDR: subnet, mtu: mtu, dnsServer: dnsServer, dnsSearch: dnsSearch
      ).commandLine
    }
    var line = "--bridge=\(bridge) --mtu=\(mtu)"
    if let dnsServer { line += " --dns=\(dnsServer)" }
    if let dnsSearch, dnsServer != nil { line += " --dns-search=\(dnsSearch)" }
    return line
  }

  /// The file's text: a comment line, then one assignment a line.
  public var contents: String {
    """
    # Written by meshd \(MeshVersion.current); rewritten whenever these change. Do not edit.
    MESHD_BRIDGE=\(Self.quoted(bridge))
    MESHD_SUBNET=\(subnet.map { "\($0)" } ?? "")
    MESHD_MTU=\(mtu)
    MESHD_DOCKER_OPTS=\(Self.quoted(dockerOptions))

    """
  }

  /// `text` in double quotes, with `\` and `"` escaped, as systemd's parser expects.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for c in text {
      if c == "\\" || c == "\"" { out.append("\\") }
      out.append(c)
    }
    return out + "\""
  }
}
