import Logging
import MeshProtocol
import MeshTypes

/// The settings of a ``DNSServer``.
public struct DNSServerConfiguration: Sendable {
  /// The default mesh domain (`.internal` is reserved for private use).
  public static let defaultDomain = "mesh.internal"

  /// The bridge whose IPv4 address the server binds (and only that interface).
  public var bridge: String
  /// The domain the server is authoritative for.
  public var domain: DNSName
  /// The UDP and TCP port (53; tests may pick another).
  public var port: UInt16 = 53
  /// The upstream resolvers; nil reads the `nameserver` lines of ``resolvConfPath`` at start.
  public var upstreams: [Endpoint]?
  /// Where the host's resolvers are listed.
  public var resolvConfPath = "/etc/resolv.conf"
  /// The logger.
  public var logger: Logger

  /// Creates a configuration with the default port and the host's resolvers.
  public init(bridge: String, domain: DNSName, logger: Logger) {
    self.bridge = bridge
    self.domain = domain
    self.logger = logger
  }
}
