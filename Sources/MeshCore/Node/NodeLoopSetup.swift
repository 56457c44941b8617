import Logging
import MeshIO
import MeshTypes

/// Everything a `NodeLoop` needs, handed over when it is built: its devices, its clock, how it
/// sends, and where it reports. The loop keeps no reference to whoever built it.
struct NodeLoopSetup<Tunnel: TunnelDevice, Sockets: DatagramSocketFactory, Clock: MeshClock> {
  /// The TAP (or a test's fake).
  var tunnel: Tunnel
  /// The main socket: handshakes, strangers, and peers without a socket of their own.
  var socket: Sockets.Socket
  /// Opens a connected socket for each peer that is up.
  var peerSockets: Sockets
  /// The loop's time source (the engine's clock).
  var clock: Clock
  /// Where other threads post commands.
  var mailbox: NodeMailbox
  /// Where the loop reports events, claims and known peers.
  var reports = NodeReports()
  /// Where log lines go.
  var logger: Logger
  /// How long the thread keeps polling without sleeping after it last had work, in
  /// nanoseconds; 0 sleeps at once.
  var busyPollNanoseconds: Int64 = 0
  /// Whether same-sized datagrams for one peer leave as one UDP_SEGMENT message.
  var udpSegmentation = false
  /// The largest datagram sent as a UDP segment (it must fit the underlay's path MTU).
  var maxSegmentSize = 1400
  /// Whether runs of one UDP flow reach the TAP as one virtio USO frame.
  var coalesceUDP = false
  /// The TAP's and the bridge's names and interface indexes, for the `DeviceWatch`.
  var links = LinkNames(tap: "tap", tapIndex: nil, bridge: "bridge", bridgeIndex: nil)
  /// Notifications of links created and deleted; nil: the loop learns of a lost TAP only
  /// from its descriptor, and of a lost bridge not at all.
  var linkWatcher: LinkWatcher?
  /// Opens a new TAP configured as at start, joined to the bridge when asked, and returns it
  /// with its interface index; nil: a lost TAP stays lost.
  var reopenTunnel: ((_ joinBridge: Bool) throws -> (Tunnel, Int32?))?
  /// Joins the TAP to the bridge (back after a delete) and gives the bridge the mesh MTU.
  var attachTunnel: () throws -> Void = {}
  /// The MACs pinned local for good besides the bridge's (the TAP's): pinned again with a
  /// recreated bridge's MAC.
  var localMACs: Set<MACAddress> = []
  /// Looks up the TAP's and the bridge's interface indexes (after lost notifications).
  var lookUpLinks: () -> (tap: Int32?, bridge: Int32?) = { (nil, nil) }

  /// The devices a `DeviceWatch` watches, by name and index.
  struct LinkNames {
    /// The TAP's name.
    var tap: String
    /// The TAP's interface index, when known.
    var tapIndex: Int32?
    /// The bridge's name.
    var bridge: String
    /// The bridge's interface index, when it exists.
    var bridgeIndex: Int32?
  }

  /// A setup with the devices, clock, mailbox and logger; the rest has defaults.
  init(
    tunnel: Tunnel, socket: Sockets.Socket, peerSockets: Sockets, clock: Clock,
    mailbox: NodeMailbox, logger: Logger
  ) {
    self.tunnel = tunnel
    self.socket = socket
    self.peerSockets = peerSockets
    self.clock = clock
    self.mailbox = mailbox
    self.logger = logger
  }
}
