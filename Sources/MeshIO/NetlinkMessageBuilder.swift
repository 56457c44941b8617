import MeshTypes

/// Builds one rtnetlink request: an `nlmsghdr`, a family header (`ifinfomsg` or `ifaddrmsg`)
/// and attributes (`rtattr`), nested where needed, each padded to 4 bytes.
///
/// A pure value type: it only produces bytes, so its output can be checked without a kernel.
/// `nlmsg_len` and the lengths of open nested attributes are kept up to date after every
/// append, so ``bytes`` is always a complete message. Integers are in host byte order, as
/// netlink requires; IP addresses are in network byte order, as rtnetlink requires.
public struct NetlinkMessageBuilder: Sendable {
  /// The message built so far.
  public private(set) var bytes: [UInt8]

  /// Starts a message with the given `nlmsg_type`, `nlmsg_flags`, `nlmsg_seq` and port ID.
  public init(type: UInt16, flags: UInt16, sequence: UInt32 = 0, portID: UInt32 = 0) {
    bytes = []
    bytes.reserveCapacity(128)
    appendInteger(UInt32(Netlink.headerSize))
    appendInteger(type)
    appendInteger(flags)
    appendInteger(sequence)
    appendInteger(portID)
  }

  /// The `nlmsg_seq` field.
  public var sequence: UInt32 {
    get { readUInt32(at: 8) }
    set { writeUInt32(newValue, at: 8) }
  }

  /// Appends a `struct ifinfomsg`.
  public mutating func appendLinkHeader(
    family: UInt8 = Netlink.Family.unspecified, deviceType: UInt16 = 0, index: Int32 = 0,
    flags: UInt32 = 0, change: UInt32 = 0
  ) {
    bytes.append(family)
    bytes.append(0)
    appendInteger(deviceType)
    appendInteger(index)
    appendInteger(flags)
    appendInteger(change)
    updateLength()
  }

  /// Appends a `struct ifaddrmsg`.
  public mutating func appendAddressHeader(
    family: UInt8, prefixLength: UInt8 = 0, flags: UInt8 = 0, scope: UInt8 = 0,
    index: UInt32 = 0
  ) {
    bytes += [family, prefixLength, flags, scope]
    appendInteger(index)
    updateLength()
  }

  /// Appends an attribute with a raw value, padded to 4 bytes.
  public mutating func addAttribute(type: UInt16, value: [UInt8]) {
    let length = Netlink.attributeHeaderSize + value.count
    precondition(length <= Int(UInt16.max), "netlink attribute too long")
    appendInteger(UInt16(length))
    appendInteger(type)
    bytes += value
    pad()
    updateLength()
  }

  /// Appends a u32 attribute in host byte order.
  public mutating func addAttribute(type: UInt16, uint32 value: UInt32) {
    addAttribute(type: type, value: withUnsafeBytes(of: value) { Array($0) })
  }

  /// Appends a NUL-terminated string attribute.
  public mutating func addAttribute(type: UInt16, string: String) {
    addAttribute(type: type, value: Array(string.utf8) + [0])
  }

  /// Appends an IPv4 address attribute (network byte order).
  public mutating func addAttribute(type: UInt16, ipv4 address: UInt32) {
    addAttribute(type: type, value: withUnsafeBytes(of: address.bigEndian) { Array($0) })
  }

  /// Appends a MAC address attribute (six octets).
  public mutating func addAttribute(type: UInt16, mac: MACAddress) {
    addAttribute(type: type, value: mac.octets)
  }

  /// Appends a nested attribute whose contents `body` adds; its length covers them all.
  /// `nestedFlag` sets NLA_F_NESTED in the type (iproute2 leaves it clear for IFLA_LINKINFO).
  public mutating func addNested(
    type: UInt16, nestedFlag: Bool = false, _ body: (inout NetlinkMessageBuilder) -> Void
  ) {
    let start = bytes.count
    appendInteger(UInt16(Netlink.attributeHeaderSize))
    appendInteger(nestedFlag ? type | Netlink.nestedFlag : type)
    body(&self)
    let length = bytes.count - start
    precondition(length <= Int(UInt16.max), "nested netlink attribute too long")
    withUnsafeBytes(of: UInt16(length)) { raw in
      bytes[start] = raw[0]
      bytes[start + 1] = raw[1]
    }
    updateLength()
  }

  private mutating func appendInteger<I: FixedWidthInteger>(_ value: I) {
    withUnsafeBytes(of: value) { bytes += $0 }
  }

  private mutating func pad() {
    while bytes.count % 4 != 0 { bytes.append(0) }
  }

  private mutating func updateLength() { writeUInt32(UInt32(bytes.count), at: 0) }

  private func readUInt32(at offset: Int) -> UInt32 {
    bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
  }

  private mutating func writeUInt32(_ value: UInt32, at offset: Int) {
    bytes.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: UInt32.self) }
  }
}
