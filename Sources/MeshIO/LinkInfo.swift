import MeshTypes

/// What rtnetlink reports about one network interface (RTM_GETLINK).
public struct LinkInfo: Equatable, Sendable {
  /// The interface index.
  public var index: Int32
  /// The interface name.
  public var name: String = ""
  /// The MTU.
  public var mtu: Int = 0
  /// The hardware address, if it is an Ethernet-style six-byte address.
  public var mac: MACAddress?
  /// The raw `ifi_flags` (IFF_UP, IFF_RUNNING, IFF_LOWER_UP, ...).
  public var flags: UInt32
  /// The index of the master device (the bridge a port belongs to), if any.
  public var masterIndex: Int32?
  /// The driver kind from IFLA_LINKINFO, such as "bridge", "veth" or "tun"; nil if unknown.
  public var kind: String?

  /// Creates a record with an index and flags; the other fields start empty.
  public init(index: Int32, flags: UInt32) {
    self.index = index
    self.flags = flags
  }

  /// Whether the interface is administratively up (IFF_UP).
  public var isUp: Bool { flags & Netlink.InterfaceFlags.up != 0 }

  /// Whether the interface has a carrier (IFF_LOWER_UP).
  public var hasCarrier: Bool { flags & Netlink.InterfaceFlags.lowerUp != 0 }
}
