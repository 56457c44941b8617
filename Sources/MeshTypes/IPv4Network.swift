/// An IPv4 address with a prefix length, such as `10.2.5.1/16`: a bridge address, a cluster
/// range or a host subnet.
public struct IPv4Network: Hashable, Sendable, CustomStringConvertible {
  /// The address, first octet most significant. Host bits may be set (an interface address).
  public var address: UInt32
  /// The prefix length, 0 to 32.
  public var prefixLength: Int

  /// Creates a network; traps on a prefix length over 32 (a programmer error).
  public init(address: UInt32, prefixLength: Int) {
    precondition((0...32).contains(prefixLength))
    self.address = address
    self.prefixLength = prefixLength
  }

  /// Parses `A.B.C.D/N`.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let a = Endpoint.parseV4(parts[0]),
      parts[1].count <= 2, let n = Int(parts[1]), (0...32).contains(n)
    else { return nil }
    self.init(address: a, prefixLength: n)
  }

  /// The netmask.
  public var mask: UInt32 { prefixLength == 0 ? 0 : UInt32.max << (32 - prefixLength) }
  /// The network address (host bits cleared).
  public var networkAddress: UInt32 { address & mask }
  /// The network with its host bits cleared.
  public var network: IPv4Network {
    IPv4Network(address: networkAddress, prefixLength: prefixLength)
  }
  /// The network of this address with another prefix length, host bits cleared.
  public func withPrefix(_ length: Int) -> IPv4Network {
    let n = IPv4Network(address: address, prefixLength: length)
    return n.network
  }

  /// Whether `ip` lies inside this network.
  public func contains(_ ip: UInt32) -> Bool { ip & mask == networkAddress }

  /// Dotted-quad text of a raw address.
  public static func format(_ a: UInt32) -> String {
    "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF)"
  }

  /// `A.B.C.D/N`.
  public var description: String { "\(IPv4Network.format(address))/\(prefixLength)" }
}
