import MeshTypes

/// One name the mesh answers in DNS: a container, a service instance, or a name added by
/// hand, with the IPv4 address it resolves to and the host whose signed record carries it.
///
/// Names are relative to the mesh's DNS domain (`web`, not `web.mesh.internal`), lowercase,
/// and follow the DNS label rules; whoever builds an entry from outside input validates it
/// first.
public struct NameEntry: Hashable, Sendable {
  /// Where a name comes from; a service name may have instances on several hosts.
  public enum Kind: UInt8, Hashable, Sendable {
    /// A container's own name (from the Docker API).
    case container = 0
    /// A service name (a container's `meshd.service` label): one of possibly many instances.
    case service = 1
    /// A name added by hand (`meshd dns add`).
    case manual = 2
  }

  /// The name relative to the mesh domain: one or more lowercase labels joined by dots.
  public var name: String
  /// Where the name comes from.
  public var kind: Kind
  /// The IPv4 address the name resolves to (host byte order).
  public var address: UInt32
  /// The TCP ports the instance exposes, ascending, for SRV answers; empty when none.
  public var ports: [UInt16]
  /// The host whose record carries the name.
  public var host: PeerID

  /// Creates an entry from its fields.
  public init(name: String, kind: Kind, address: UInt32, ports: [UInt16] = [], host: PeerID) {
    self.name = name
    self.kind = kind
    self.address = address
    self.ports = ports
    self.host = host
  }
}
