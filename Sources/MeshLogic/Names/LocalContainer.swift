/// A running container as the Docker Engine API describes it, reduced to what naming needs.
///
/// Built by the Docker API codec (`MeshAPI`) from untrusted JSON: the name and the label are
/// as Docker gave them, checked only when `ContainerNames` turns them into entries.
public struct LocalContainer: Hashable, Sendable {
  /// The container's ID (64 hex digits).
  public var id: String
  /// Its name without Docker's leading slash, as given (`Web_1`).
  public var name: String
  /// The value of its `meshd.service` label, if any.
  public var service: String?
  /// Its IPv4 addresses (host byte order), one per network it is attached to.
  public var addresses: [UInt32]
  /// The TCP ports it exposes.
  public var tcpPorts: [UInt16]

  /// Creates a container description.
  public init(
    id: String, name: String, service: String? = nil, addresses: [UInt32],
    tcpPorts: [UInt16] = []
  ) {
    self.id = id
    self.name = name
    self.service = service
    self.addresses = addresses
    self.tcpPorts = tcpPorts
  }

  /// The label that names a container's service.
  public static let serviceLabel = "meshd.service"
}
