import MeshTypes

/// A netlink reply that does not follow the wire format: a length that points outside the
/// buffer, a header that is too short, an attribute of the wrong size.
public struct NetlinkParseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What was wrong.
  public var reason: String

  /// Creates an error with a reason.
  public init(_ reason: String) { self.reason = reason }

  /// `malformed netlink message: REASON`.
  public var description: String { "malformed netlink message: \(reason)" }
}

/// The fields of a `struct nlmsghdr`.
public struct NetlinkHeader: Equatable, Sendable {
  /// `nlmsg_len`: the message length including this header.
  public var length: UInt32
  /// `nlmsg_type`.
  public var type: UInt16
  /// `nlmsg_flags`.
  public var flags: UInt16
  /// `nlmsg_seq`.
  public var sequence: UInt32
  /// `nlmsg_pid`.
  public var portID: UInt32

  /// Creates a header from its fields.
  public init(length: UInt32, type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32) {
    self.length = length
    self.type = type
    self.flags = flags
    self.sequence = sequence
    self.portID = portID
  }
}

/// One netlink message: its header and the payload after it (without trailing padding).
public struct NetlinkMessage: Equatable, Sendable {
  /// The header.
  public var header: NetlinkHeader
  /// The bytes after the header, `header.length - 16` of them.
  public var payload: [UInt8]

  /// Creates a message from its parts.
  public init(header: NetlinkHeader, payload: [UInt8]) {
    self.header = header
    self.payload = payload
  }
}

/// One `rtattr`: a type and a value. Nested attributes are parsed on demand with ``nested()``.
public struct NetlinkAttribute: Equatable, Sendable {
  /// The type, without the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits.
  public var type: UInt16
  /// Whether NLA_F_NESTED was set.
  public var isNestedFlagSet: Bool
  /// The value, without padding.
  public var value: [UInt8]

  /// Creates an attribute from its parts.
  public init(type: UInt16, isNestedFlagSet: Bool = false, value: [UInt8]) {
    self.type = type
    self.isNestedFlagSet = isNestedFlagSet
    self.value = value
  }

  /// The value as a host-order u32; throws unless it is at least four bytes long.
  public func uint32() throws -> UInt32 {
    try NetlinkParser.uint32(value, at: 0, what: "u32 attribute \(type)")
  }

  /// The value as an IPv4 address (network byte order on the wire); exactly four bytes.
  public func ipv4() throws -> UInt32 {
    guard value.count == 4 else { throw NetlinkParseError("IPv4 attribute of \(value.count) B") }
    return value.reduce(0) { $0 << 8 | UInt32($1) }
  }

  /// The value as a MAC address, or nil unless it is exactly six bytes (other link types
  /// have other hardware address lengths).
  public func mac() -> MACAddress? {
    guard value.count == 6 else { return nil }
    return MACAddress(value[0], value[1], value[2], value[3], value[4], value[5])
  }

  /// The value as a string, up to the first NUL; invalid UTF-8 is repaired.
  public func string() -> String {
    let end = value.firstIndex(of: 0) ?? value.count
    return String(decoding: value[..<end], as: UTF8.self)
  }

  /// The value parsed as a sequence of attributes.
  public func nested() throws -> [NetlinkAttribute] { try NetlinkParser.attributes(value) }
}

/// Pure, bounds-checked parsing of netlink replies. Every length read from the buffer is
/// checked against the bytes that are there; malformed input throws ``NetlinkParseError`` and
/// never traps, so the parser is safe to fuzz with arbitrary bytes.
public enum NetlinkParser {
  /// Splits a datagram into messages. A message's padding may be missing at the very end.
  public static func messages(_ bytes: [UInt8]) throws -> [NetlinkMessage] {
    var result: [NetlinkMessage] = []
    var offset = 0
    while offset < bytes.count {
      let remaining = bytes.count - offset
      guard remaining >= Netlink.headerSize else {
        throw NetlinkParseError("\(remaining) trailing bytes, shorter than a header")
      }
      let length = Int(try uint32(bytes, at: offset, what: "nlmsg_len"))
      guard length >= Netlink.headerSize, length <= remaining else {
        throw NetlinkParseError("nlmsg_len \(length) with \(remaining) bytes left")
      }
      let header = NetlinkHeader(
        length: UInt32(length), type: try uint16(bytes, at: offset + 4),
        flags: try uint16(bytes, at: offset + 6),
        sequence: try uint32(bytes, at: offset + 8, what: "nlmsg_seq"),
        portID: try uint32(bytes, at: offset + 12, what: "nlmsg_pid"))
      let payload = Array(bytes[(offset + Netlink.headerSize)..<(offset + length)])
      result.append(NetlinkMessage(header: header, payload: payload))
      offset += min(Netlink.align(length), remaining)
    }
    return result
  }

  /// Parses a run of attributes that fills `bytes` (the final padding may be missing).
  public static func attributes(_ bytes: [UInt8], from start: Int = 0) throws
    -> [NetlinkAttribute]
  {
    guard start >= 0, start <= bytes.count else {
      throw NetlinkParseError("attributes start at \(start) of \(bytes.count) bytes")
    }
    var result: [NetlinkAttribute] = []
    var offset = start
    while offset < bytes.count {
      let remaining = bytes.count - offset
      guard remaining >= Netlink.attributeHeaderSize else {
        throw NetlinkParseError("\(remaining) trailing bytes, shorter than an attribute")
      }
      let length = Int(try uint16(bytes, at: offset))
      let rawType = try uint16(bytes, at: offset + 2)
      guard length >= Netlink.attributeHeaderSize, length <= remaining else {
        throw NetlinkParseError("rta_len \(length) with \(remaining) bytes left")
      }
      let value = Array(bytes[(offset + Netlink.attributeHeaderSize)..<(offset + length)])
      result.append(
        NetlinkAttribute(
          type: rawType & Netlink.attributeTypeMask,
          isNestedFlagSet: rawType & Netlink.nestedFlag != 0, value: value))
      offset += min(Netlink.align(length), remaining)
    }
    return result
  }

  /// Decodes an NLMSG_ERROR payload: the positive errno (0 for an acknowledgement) and the
  /// kernel's extended-acknowledgement text if it sent one.
  public static func error(_ message: NetlinkMessage) throws -> (errno: Int32, text: String?) {
    let payload = message.payload
    guard payload.count >= 4 else { throw NetlinkParseError("NLMSG_ERROR of \(payload.count) B") }
    let code = Int32(bitPattern: try uint32(payload, at: 0, what: "error"))
    guard code <= 0, code != Int32.min else {
      throw NetlinkParseError("positive error code \(code)")
    }
    var text: String?
    if message.header.flags & Netlink.Flags.ackTLVs != 0, payload.count >= 4 + Netlink.headerSize {
      var tlvStart = 4 + Netlink.headerSize
      if message.header.flags & Netlink.Flags.capped == 0 {
        let inner = Int(try uint32(payload, at: 4, what: "inner nlmsg_len"))
        tlvStart = 4 + Netlink.align(max(inner, Netlink.headerSize))
      }
      if tlvStart <= payload.count, let tlvs = try? attributes(payload, from: tlvStart) {
        text = tlvs.first { $0.type == Netlink.errorAttributeMessage }?.string()
      }
    }
    return (-code, text)
  }

  /// Decodes an RTM_NEWLINK message into a ``LinkInfo``.
  public static func link(_ message: NetlinkMessage) throws -> LinkInfo {
    let payload = message.payload
    guard payload.count >= Netlink.linkHeaderSize else {
      throw NetlinkParseError("ifinfomsg of \(payload.count) B")
    }
    let index = Int32(bitPattern: try uint32(payload, at: 4, what: "ifi_index"))
    let flags = try uint32(payload, at: 8, what: "ifi_flags")
    var info = LinkInfo(index: index, flags: flags)
    for attribute in try attributes(payload, from: Netlink.linkHeaderSize) {
      switch attribute.type {
      case Netlink.LinkAttribute.name: info.name = attribute.string()
      case Netlink.LinkAttribute.mtu: info.mtu = Int(try attribute.uint32())
      case Netlink.LinkAttribute.address: info.mac = attribute.mac()
      case Netlink.LinkAttribute.master:
        let master = try attribute.uint32()
        info.masterIndex = master == 0 ? nil : Int32(bitPattern: master)
      case Netlink.LinkAttribute.linkInfo:
        let kind = try attribute.nested().first { $0.type == Netlink.LinkAttribute.infoKind }
        info.kind = kind?.string()
      default: break
      }
    }
    return info
  }

  /// Decodes an RTM_NEWADDR message: the link index and, for AF_INET, the address
  /// (IFA_LOCAL, else IFA_ADDRESS) with its prefix length; nil for other families.
  public static func ipv4Address(_ message: NetlinkMessage) throws
    -> (index: Int32, network: IPv4Network)?
  {
    let payload = message.payload
    guard payload.count >= Netlink.addressHeaderSize else {
      throw NetlinkParseError("ifaddrmsg of \(payload.count) B")
    }
    guard payload[0] == Netlink.Family.inet else { return nil }
    let prefix = Int(payload[1])
    guard prefix <= 32 else { throw NetlinkParseError("IPv4 prefix length \(prefix)") }
    let index = Int32(bitPattern: try uint32(payload, at: 4, what: "ifa_index"))
    var local: UInt32?
    var address: UInt32?
    for attribute in try attributes(payload, from: Netlink.addressHeaderSize) {
      if attribute.type == Netlink.AddressAttribute.local { local = try attribute.ipv4() }
      if attribute.type == Netlink.AddressAttribute.address { address = try attribute.ipv4() }
    }
    guard let ip = local ?? address else { return nil }
    return (index, IPv4Network(address: ip, prefixLength: prefix))
  }

  static func uint32(_ bytes: [UInt8], at offset: Int, what: String) throws -> UInt32 {
    guard offset >= 0, offset <= bytes.count - 4 else {
      throw NetlinkParseError("\(what) at \(offset) past \(bytes.count) bytes")
    }
    return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
  }

  static func uint16(_ bytes: [UInt8], at offset: Int) throws -> UInt16 {
    guard offset >= 0, offset <= bytes.count - 2 else {
      throw NetlinkParseError("u16 at \(offset) past \(bytes.count) bytes")
    }
    return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
  }
}
