import Logging
import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes

/// Everything a `MeshNode` needs: the engine's identity and secrets plus the devices and
/// sockets to run them on.
public struct MeshNodeConfiguration: Sendable {
  /// The identity, secrets and timers of the engine.
  public var engine: MeshEngineConfiguration
  /// The Linux bridge the TAP joins (created if missing).
  public var bridge: String
  /// The TAP device's name.
  public var tapName: String = "meshtap0"
  /// The UDP endpoint to listen on.
  public var listen: Endpoint
  /// The MTU of the TAP and the bridge; nil derives it from the underlay's MTU.
  public var mtu: Int?
  /// Whether to use TAP offloads (checksum and TCP segmentation), so that large TCP segments
  /// cross the mesh as one datagram. Probed at start; off when the kernel refuses.
  public var offloads = true
  /// Whether to use UDP segmentation and receive offloads (UDP_SEGMENT, UDP_GRO): datagrams
  /// of one size for one peer leave as one message and arrive as one buffer, so the kernel
  /// walks its stack once per batch instead of once per datagram. Probed at start; off when
  /// the kernel refuses.
  public var udpOffloads = true
  /// How long, in microseconds, the data thread keeps polling its TAP and socket after it
  /// last had work before it sleeps in the kernel. A packet that arrives within the window
  /// is handled without a thread wake-up, which is most of a tunnel's added latency on a
  /// virtual machine; the cost is up to this much CPU time after each burst. 0 turns it off.
  public var busyPollMicroseconds = 0
  /// Endpoints to connect to at start.
  public var peers: [Endpoint] = []
  /// Peers given by host name, with what each resolved to at start; resolved again while
  /// the peer stays unreachable.
  public var peerHosts: [HostPort: [Endpoint]] = [:]
  /// Extra endpoints to announce (`--advertise`), before the interface addresses found when
  /// `listen` is a wildcard.
  public var advertise: [Endpoint] = []
  /// Where known peers are remembered across restarts; nil remembers nothing.
  public var stateDirectory: StateDirectory?
  /// The cluster's IPAM plan (range, subnet size, released hosts); nil runs without IPAM.
  /// The node does not act on it yet: claims travel in gossip once that is wired.
  public var ipam: IPAMPlan?
  /// The name registry (service discovery): this host's names for its record, the Docker
  /// watcher, and the directory of every name in the mesh; nil runs without names.
  public var names: NameRegistry?
  /// Where log lines go.
  public var logger = Logger(label: "meshd")

  /// A configuration with the default TAP name, derived MTU and no initial peers.
  public init(engine: MeshEngineConfiguration, bridge: String, listen: Endpoint) {
    self.engine = engine
    self.bridge = bridge
    self.listen = listen
  }

  /// Bytes each Ethernet frame costs on the underlay beyond the frame itself: IP and UDP
  /// headers, the transport header, the inner kind byte and the tag, plus the frame's own
  /// 14-byte Ethernet header that the MTU does not count.
  public static func overhead(ipv6: Bool) -> Int {
    (ipv6 ? 40 : 20) + 8 + TransportHeader.size + 1 + MeshEngine.frameSuffix + 14
  }

  /// The mesh MTU for an underlay path MTU.
  public static func meshMTU(underlayMTU: Int, ipv6: Bool) -> Int {
    underlayMTU - overhead(ipv6: ipv6)
  }

  /// The MTU the node applies: the configured one, or the underlay's minus the overhead.
  public var effectiveMTU: Int {
    if let mtu { return mtu }
    let underlay = UnderlayMTU.detect(listen: listen, exclude: [bridge, tapName])
    return max(576, MeshNodeConfiguration.meshMTU(underlayMTU: underlay, ipv6: listen.isIPv6))
  }
}
