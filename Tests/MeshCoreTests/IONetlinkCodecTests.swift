import Testing

@testable import MeshCore
@testable import MeshIO
@testable import MeshTypes

@Suite struct IONetlinkCodecTests {
  @Test func createBridgeMessageBytes() {
    var m = NetlinkMessageBuilder(
      type: Netlink.MessageType.newLink,
      flags: Netlink.Flags.request | Netlink.Flags.ack | Netlink.Flags.create
        | Netlink.Flags.exclusive, sequence: 7)
    m.appendLinkHeader()
    m.addAttribute(type: Netlink.LinkAttribute.name, string: "mshbr0")
    m.addNested(type: Netlink.LinkAttribute.linkInfo) {
      $0.addAttribute(type: Netlink.LinkAttribute.infoKind, string: "bridge")
    }
    let expected: [UInt8] =
      [60, 0, 0, 0, 16, 0, 0x05, 0x06, 7, 0, 0, 0, 0, 0, 0, 0]  // nlmsghdr
      + [UInt8](repeating: 0, count: 16)  // ifinfomsg
      + [11, 0, 3, 0] + Array("mshbr0".utf8) + [0, 0]  // IFLA_IFNAME, padded
      + [16, 0, 18, 0, 11, 0, 1, 0] + Array("bridge".utf8) + [0, 0]  // IFLA_LINKINFO
    #expect(m.bytes == expected)
    #expect(m.sequence == 7)
    m.sequence = 9
    #expect(m.bytes[8] == 9)
  }

  @Test func addressMessageBytes() {
    var m = NetlinkMessageBuilder(type: Netlink.MessageType.newAddress, flags: 0)
    m.appendAddressHeader(family: Netlink.Family.inet, prefixLength: 24, index: 5)
    m.addAttribute(type: Netlink.AddressAttribute.local, ipv4: 0xC000_0201)
    #expect(m.bytes.count == 16 + 8 + 8)
    #expect(Array(m.bytes[16..<24]) == [2, 24, 0, 0, 5, 0, 0, 0])
    #expect(Array(m.bytes[24...]) == [8, 0, 2, 0, 192, 0, 2, 1])
  }

  @Test func linkRoundTrip() throws {
    var m = NetlinkMessageBuilder(type: Netlink.MessageType.newLink, flags: 2, sequence: 3)
    m.appendLinkHeader(index: 42, flags: Netlink.InterfaceFlags.up | Netlink.InterfaceFlags.lowerUp)
    m.addAttribute(type: Netlink.LinkAttribute.name, string: "mshtap0")
    m.addAttribute(type: Netlink.LinkAttribute.mtu, uint32: 1420)
    m.addAttribute(type: Netlink.LinkAttribute.address, mac: MACAddress(rawValue: 0x0247_0000_0001))
    m.addAttribute(type: Netlink.LinkAttribute.master, uint32: 7)
    m.addNested(type: Netlink.LinkAttribute.linkInfo, nestedFlag: true) {
      $0.addAttribute(type: Netlink.LinkAttribute.infoKind, string: "tun")
    }
    // Two messages back to back, as in a multipart reply.
    let messages = try NetlinkParser.messages(m.bytes + m.bytes)
    #expect(messages.count == 2)
    #expect(
      messages[0].header
        == NetlinkHeader(
          length: UInt32(m.bytes.count), type: 16, flags: 2, sequence: 3, portID: 0))
    let info = try NetlinkParser.link(messages[1])
    #expect(info.index == 42)
    #expect(info.name == "mshtap0")
    #expect(info.mtu == 1420)
    #expect(info.mac == MACAddress(rawValue: 0x0247_0000_0001))
    #expect(info.masterIndex == 7)
    #expect(info.kind == "tun")
    #expect(info.isUp && info.hasCarrier)
  }

  @Test func addressRoundTrip() throws {
    var m = NetlinkMessageBuilder(type: Netlink.MessageType.newAddress, flags: 0)
    m.appendAddressHeader(family: Netlink.Family.inet, prefixLength: 16, index: 9)
    m.addAttribute(type: Netlink.AddressAttribute.address, ipv4: 0x0A2F_0001)
    m.addAttribute(type: Netlink.AddressAttribute.label, string: "mshbr0")
    let parsed = try #require(try NetlinkParser.ipv4Address(NetlinkParser.messages(m.bytes)[0]))
    #expect(parsed.index == 9)
    #expect(parsed.network == IPv4Network("10.47.0.1/16"))
  }

  @Test func errorWithExtendedAck() throws {
    // NLMSG_ERROR, capped, with TLVs: error -22, the request's header, NLMSGERR_ATTR_MSG.
    var payload: [UInt8] = withUnsafeBytes(of: Int32(-22)) { Array($0) }
    payload += [16, 0, 0, 0, 16, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    payload += [12, 0, 1, 0] + Array("bad mtu".utf8) + [0]
    let flags = Netlink.Flags.capped | Netlink.Flags.ackTLVs
    let message = NetlinkMessage(
      header: NetlinkHeader(
        length: UInt32(16 + payload.count), type: 2, flags: flags, sequence: 1, portID: 0),
      payload: payload)
    let (code, text) = try NetlinkParser.error(message)
    #expect(code == 22)
    #expect(text == "bad mtu")
    let ack = NetlinkMessage(header: message.header, payload: [0, 0, 0, 0])
    #expect(try NetlinkParser.error(ack).errno == 0)
  }

  @Test func rejectsMalformedMessages() {
    let header: [UInt8] = [16, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.messages(Array(header[0..<10])) }
    var tooLong = header
    tooLong[0] = 200
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.messages(tooLong) }
    var tooShort = header
    tooShort[0] = 8
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.messages(tooShort) }
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.messages(header + [1, 2, 3]) }
    #expect((try? NetlinkParser.messages([])) == [])
  }

  @Test func rejectsMalformedAttributes() {
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.attributes([3, 0, 1, 0]) }
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.attributes([9, 0, 1, 0, 1]) }
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.attributes([8, 0]) }
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.attributes([1], from: 5) }
    let short = NetlinkAttribute(type: 4, value: [1, 2])
    #expect(throws: NetlinkParseError.self) { try short.uint32() }
    #expect(throws: NetlinkParseError.self) { try short.ipv4() }
    #expect(short.mac() == nil)
    // A nested attribute whose inner length overruns the outer value.
    let nested = NetlinkAttribute(type: 18, value: [40, 0, 1, 0, 0, 0, 0, 0])
    #expect(throws: NetlinkParseError.self) { try nested.nested() }
    // An ifaddrmsg with an impossible prefix length.
    var m = NetlinkMessageBuilder(type: Netlink.MessageType.newAddress, flags: 0)
    m.appendAddressHeader(family: Netlink.Family.inet, prefixLength: 33, index: 1)
    #expect(throws: NetlinkParseError.self) {
      try NetlinkParser.ipv4Address(NetlinkParser.messages(m.bytes)[0])
    }
    let shortLink = NetlinkMessage(
      header: NetlinkHeader(length: 20, type: 16, flags: 0, sequence: 0, portID: 0),
      payload: [0, 0, 0, 0])
    #expect(throws: NetlinkParseError.self) { try NetlinkParser.link(shortLink) }
  }

  /// Random and mutated input must either parse or throw, never trap.
  @Test func survivesGarbage() throws {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return state
    }
    var seed = NetlinkMessageBuilder(type: Netlink.MessageType.newLink, flags: 2)
    seed.appendLinkHeader(index: 3)
    seed.addAttribute(type: Netlink.LinkAttribute.name, string: "x")
    seed.addNested(type: Netlink.LinkAttribute.linkInfo) {
      $0.addAttribute(type: Netlink.LinkAttribute.infoKind, string: "bridge")
    }
    for round in 0..<20_000 {
      var bytes: [UInt8]
      if round % 2 == 0 {
        bytes = (0..<Int(next() % 96)).map { _ in UInt8(truncatingIfNeeded: next()) }
      } else {
        bytes = seed.bytes
        for _ in 0..<Int(next() % 4 + 1) {
          bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
        }
        bytes.removeLast(Int(next() % 8))
      }
      guard let messages = try? NetlinkParser.messages(bytes) else { continue }
      for message in messages {
        _ = try? NetlinkParser.link(message)
        _ = try? NetlinkParser.ipv4Address(message)
        _ = try? NetlinkParser.error(message)
        for attribute in (try? NetlinkParser.attributes(message.payload, from: 16)) ?? [] {
          _ = try? attribute.nested()
          _ = attribute.string()
        }
      }
    }
  }

  @Test func interfaceNames() {
    #expect((try? InterfaceName.validate("mshbr0")) != nil)
    #expect((try? InterfaceName.validate("a23456789012345")) != nil)
    #expect(throws: InterfaceNameError.self) { try InterfaceName.validate("a234567890123456") }
    #expect(throws: InterfaceNameError.self) { try InterfaceName.validate("") }
    #expect(throws: InterfaceNameError.self) { try InterfaceName.validate("a/b") }
    #expect(throws: InterfaceNameError.self) { try InterfaceName.validate("a b") }
    #expect(throws: InterfaceNameError.self) { try InterfaceName.validate("..") }
  }
}
