import Testing

@testable import MeshIO

/// Decoding rtnetlink link notifications into the events the runtime watches.
@Suite("IO: link events")
struct IOLinkEventTests {
  func message(type: UInt16, family: UInt8, index: Int32, name: String) throws -> NetlinkMessage {
    var b = NetlinkMessageBuilder(type: type, flags: 0)
    b.appendLinkHeader(family: family, index: index)
    b.addAttribute(type: Netlink.LinkAttribute.name, string: name)
    b.addAttribute(type: Netlink.LinkAttribute.master, uint32: 4)
    return try #require(try NetlinkParser.messages(b.bytes).first)
  }

  @Test("RTM_NEWLINK and RTM_DELLINK of a link become present and removed events")
  func linkEvents() throws {
    let events = try LinkEvent.decode([
      message(type: Netlink.MessageType.newLink, family: 0, index: 9, name: "br0"),
      message(type: Netlink.MessageType.deleteLink, family: 0, index: 7, name: "meshtap0"),
    ])
    #expect(events.map(\.change) == [.present, .removed])
    #expect(events.map(\.link.index) == [9, 7])
    #expect(events.map(\.link.name) == ["br0", "meshtap0"])
    #expect(events[0].link.masterIndex == 4)
  }

  @Test("a bridge's port notifications (AF_BRIDGE) and other messages are not link events")
  func portNotificationsSkipped() throws {
    // Deleting a bridge sends RTM_DELLINK of family AF_BRIDGE (7) for each port: the TAP
    // was released, not deleted.
    let events = try LinkEvent.decode([
      message(type: Netlink.MessageType.deleteLink, family: 7, index: 7, name: "meshtap0"),
      message(type: Netlink.MessageType.newAddress, family: 0, index: 7, name: "x"),
    ])
    #expect(events.isEmpty)
  }
}
