/// rtnetlink constants from the Linux UAPI headers (`linux/netlink.h`, `linux/rtnetlink.h`,
/// `linux/if_link.h`, `linux/if_addr.h`). They are part of the kernel's stable ABI; they are
/// repeated here because Swift cannot import the C macros.
public enum Netlink {
  /// The size of `struct nlmsghdr`.
  public static let headerSize = 16
  /// The size of `struct ifinfomsg`.
  public static let linkHeaderSize = 16
  /// The size of `struct ifaddrmsg`.
  public static let addressHeaderSize = 8
  /// The size of `struct rtattr`.
  public static let attributeHeaderSize = 4

  /// Rounds `length` up to the 4-byte netlink alignment (NLMSG_ALIGN, RTA_ALIGN).
  @inlinable
  public static func align(_ length: Int) -> Int { (length + 3) & ~3 }

  /// Control message types.
  public enum MessageType {
    /// NLMSG_NOOP.
    public static let noop: UInt16 = 1
    /// NLMSG_ERROR: an error or, with error 0, an acknowledgement.
    public static let error: UInt16 = 2
    /// NLMSG_DONE: the end of a multipart dump.
    public static let done: UInt16 = 3
    /// NLMSG_OVERRUN.
    public static let overrun: UInt16 = 4
    /// RTM_NEWLINK.
    public static let newLink: UInt16 = 16
    /// RTM_DELLINK.
    public static let deleteLink: UInt16 = 17
    /// RTM_GETLINK.
    public static let getLink: UInt16 = 18
    /// RTM_SETLINK.
    public static let setLink: UInt16 = 19
    /// RTM_NEWADDR.
    public static let newAddress: UInt16 = 20
    /// RTM_DELADDR.
    public static let deleteAddress: UInt16 = 21
    /// RTM_GETADDR.
    public static let getAddress: UInt16 = 22
  }

  /// `nlmsg_flags` bits.
  public enum Flags {
    /// NLM_F_REQUEST.
    public static let request: UInt16 = 0x1
    /// NLM_F_MULTI: part of a multipart reply.
    public static let multi: UInt16 = 0x2
    /// NLM_F_ACK: ask for an acknowledgement.
    public static let ack: UInt16 = 0x4
    /// NLM_F_DUMP_INTR: the dump was interrupted by a change and may be inconsistent.
    public static let dumpInterrupted: UInt16 = 0x10
    /// NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH).
    public static let dump: UInt16 = 0x300
    /// NLM_F_REPLACE.
    public static let replace: UInt16 = 0x100
    /// NLM_F_EXCL.
    public static let exclusive: UInt16 = 0x200
    /// NLM_F_CREATE.
    public static let create: UInt16 = 0x400
    /// NLM_F_CAPPED: the error message carries no copy of the request's payload.
    public static let capped: UInt16 = 0x100
    /// NLM_F_ACK_TLVS: extended acknowledgement attributes follow.
    public static let ackTLVs: UInt16 = 0x200
  }

  /// Link (`IFLA_*`) attribute types.
  public enum LinkAttribute {
    /// IFLA_ADDRESS: the hardware address.
    public static let address: UInt16 = 1
    /// IFLA_IFNAME: the NUL-terminated name.
    public static let name: UInt16 = 3
    /// IFLA_MTU: u32.
    public static let mtu: UInt16 = 4
    /// IFLA_MASTER: u32 index of the master device (0 releases).
    public static let master: UInt16 = 10
    /// IFLA_OPERSTATE: u8.
    public static let operState: UInt16 = 16
    /// IFLA_LINKINFO: nested.
    public static let linkInfo: UInt16 = 18
    /// IFLA_INFO_KIND inside IFLA_LINKINFO: the driver kind, such as "bridge".
    public static let infoKind: UInt16 = 1
  }

  /// Address (`IFA_*`) attribute types.
  public enum AddressAttribute {
    /// IFA_ADDRESS: the peer or, without one, the local address.
    public static let address: UInt16 = 1
    /// IFA_LOCAL: the local address.
    public static let local: UInt16 = 2
    /// IFA_LABEL.
    public static let label: UInt16 = 3
    /// IFA_BROADCAST.
    public static let broadcast: UInt16 = 4
  }

  /// `ifi_flags` bits.
  public enum InterfaceFlags {
    /// IFF_UP: administratively up.
    public static let up: UInt32 = 0x1
    /// IFF_RUNNING.
    public static let running: UInt32 = 0x40
    /// IFF_LOWER_UP: carrier.
    public static let lowerUp: UInt32 = 0x1_0000
  }

  /// Address families used in rtnetlink headers.
  public enum Family {
    /// AF_UNSPEC.
    public static let unspecified: UInt8 = 0
    /// AF_INET.
    public static let inet: UInt8 = 2
  }

  /// NLA_F_NESTED.
  public static let nestedFlag: UInt16 = 0x8000
  /// NLA_TYPE_MASK: the type bits of `rta_type`, without NLA_F_NESTED/NLA_F_NET_BYTEORDER.
  public static let attributeTypeMask: UInt16 = 0x3FFF
  /// NLMSGERR_ATTR_MSG: the extended acknowledgement's text.
  public static let errorAttributeMessage: UInt16 = 1
}
