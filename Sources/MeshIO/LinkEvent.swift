/// One rtnetlink link notification: a link appeared or changed (RTM_NEWLINK), or went away
/// (RTM_DELLINK). The runtime watches its TAP and its bridge with these.
public struct LinkEvent: Equatable, Sendable {
  /// What happened to the link.
  public enum Change: Equatable, Sendable {
    /// The link exists: it was created, or one of its attributes changed.
    case present
    /// The link was deleted.
    case removed
  }

  /// What happened.
  public var change: Change
  /// The link's attributes as the kernel reported them (index, name, master, ...).
  public var link: LinkInfo

  /// An event from its parts.
  public init(_ change: Change, _ link: LinkInfo) {
    self.change = change
    self.link = link
  }

  /// The link events among `messages` (other message types are skipped), decoded with the
  /// bounded netlink parser; a malformed link message throws.
  ///
  /// Only messages about links themselves (`ifi_family` AF_UNSPEC) count: the bridge also
  /// sends RTM_NEWLINK/RTM_DELLINK of family AF_BRIDGE about its ports, and "port removed
  /// from its bridge" must not read as "link deleted".
  public static func decode(_ messages: [NetlinkMessage]) throws -> [LinkEvent] {
    var events: [LinkEvent] = []
    for message in messages {
      guard message.payload.first == Netlink.Family.unspecified else { continue }
      switch message.header.type {
      case Netlink.MessageType.newLink:
        events.append(LinkEvent(.present, try NetlinkParser.link(message)))
      case Netlink.MessageType.deleteLink:
        events.append(LinkEvent(.removed, try NetlinkParser.link(message)))
      default: continue
      }
    }
    return events
  }
}
