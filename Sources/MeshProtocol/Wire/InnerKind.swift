import MeshTypes

/// The kind byte that starts every decrypted transport plaintext.
public enum InnerKind: UInt8, Sendable, CaseIterable {
  /// An empty message that keeps the session and NAT mappings alive.
  case keepalive = 0
  /// An Ethernet frame from the sender's own bridge.
  case frame = 1
  /// An Ethernet frame forwarded on behalf of another host (relay or broadcast tree).
  case relayedFrame = 2
  /// Opaque control-plane (topology gossip) bytes.
  case gossip = 3
  /// A path-MTU / liveness probe or its reply.
  case pathProbe = 4
  /// An Ethernet frame with the `VirtioNetHeader` its TAP gave it: a large TCP segment or a
  /// frame with a partial checksum, for the receiver's kernel to finish.
  case offloadedFrame = 5
  /// An offloaded frame forwarded on behalf of another host.
  case relayedOffloadedFrame = 6
  /// One piece of a message too large for the path to the peer (see `PieceHeader`); only to
  /// peers that announced path-MTU support in their handshake flags.
  case piece = 7
  /// The underlay endpoint the sender sees the receiver's datagrams come from (as STUN
  /// tells): how a host behind NAT learns its mapped address. Raw values 8-9 are reserved.
  case observedEndpoint = 10
  /// A probe of another endpoint of the receiver, or its reply, sent inside the session to
  /// measure whether and how fast that endpoint answers (path choice).
  case endpointProbe = 11
  /// Hole punching through a common member: from a host to the member, "tell `peer` to dial
  /// me" (no endpoint); from the member to `peer`, "dial the sender at `endpoint`" (where the
  /// member sees it).
  case punchRequest = 12
  /// A forwarded datagram (type 5, `ForwardHeader`) too large for the path to the next hop,
  /// carried inside the hop's session so that it can go in pieces. Its hop fields are ignored:
  /// the session authenticates the hop.
  case forwardedDatagram = 13

  /// The bytes of this kind's header, kind byte included: where its payload starts.
  public var headerLength: Int {
    switch self {
    case .keepalive, .frame, .gossip, .observedEndpoint, .forwardedDatagram: return 1
    case .endpointProbe: return EndpointProbe.size
    case .punchRequest: return 1 + 8
    case .relayedFrame: return RelayHeader.size
    case .pathProbe: return PathProbe.headerSize
    case .offloadedFrame: return 1 + VirtioNetHeader.size
    case .relayedOffloadedFrame: return RelayHeader.size + VirtioNetHeader.size
    case .piece: return PieceHeader.size
    }
  }
}

/// The header of a relayed frame: who sent it first, where it goes, and how many more hops
/// it may take.
///
/// Layout after the kind byte: origin (u64) · destination (u64, 0 = flood) · hopLimit (1).
public struct RelayHeader: Equatable, Sendable {
  /// The header size, kind byte included: the frame starts here.
  public static let size = 1 + 8 + 8 + 1
  /// The destination value that means "flood along the origin's broadcast tree".
  public static let flood = PeerID(rawValue: 0)

  /// The host whose bridge the frame entered the mesh at (MAC learning uses it).
  public var origin: PeerID
  /// The host the frame is for, or `RelayHeader.flood`.
  public var destination: PeerID
  /// Hops left, at least 1 on the wire; a relay decrements it and drops at zero.
  public var hopLimit: UInt8

  /// Whether the frame floods along the origin's broadcast tree.
  public var isFlood: Bool { destination == Self.flood }

  /// Creates a relay header from its fields.
  public init(origin: PeerID, destination: PeerID, hopLimit: UInt8) {
    self.origin = origin
    self.destination = destination
    self.hopLimit = hopLimit
  }
}

/// A path probe: an ID to match replies, the direction, and padding to reach a probed size.
///
/// Layout after the kind byte: probeID (u32) · isReply (1: 0 or 1) · padding.
public struct PathProbe: Equatable, Sendable {
  /// The header size, kind byte included: the padding starts here.
  public static let headerSize = 1 + 4 + 1

  /// Matches a reply to its probe.
  public var probeID: UInt32
  /// False for a probe, true for its reply.
  public var isReply: Bool
  /// The number of padding bytes (≤ `WireLimits.maxProbePadding`).
  public var paddingLength: Int

  /// Creates a probe description from its fields.
  public init(probeID: UInt32, isReply: Bool, paddingLength: Int) {
    self.probeID = probeID
    self.isReply = isReply
    self.paddingLength = paddingLength
  }
}

/// A probe sent inside a session to another endpoint of the peer, or its reply (sent back to
/// where the probe came from). The receiver does not move the peer's endpoint for it.
///
/// Layout after the kind byte: probeID (u32) · isReply (1: 0 or 1).
public struct EndpointProbe: Equatable, Sendable {
  /// The message size, kind byte included.
  public static let size = 1 + 4 + 1

  /// Matches a reply to its probe.
  public var probeID: UInt32
  /// False for a probe, true for its reply.
  public var isReply: Bool

  /// Creates a probe from its fields.
  public init(probeID: UInt32, isReply: Bool) {
    self.probeID = probeID
    self.isReply = isReply
  }
}
