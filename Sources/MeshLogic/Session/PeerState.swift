import MeshProtocol
import MeshTypes

/// Everything one host knows about one peer: who it is, where it is, its sessions and the
/// timers that keep them fresh. A value owned by `MeshEngine`.
public struct PeerState: Sendable {
  /// The peer's ID, derived from its static key.
  public let id: PeerID
  /// The peer's static public key, learned in the handshake.
  public var staticKey: PublicKey
  /// The peer's host name, as it announced it.
  public var nickname: String
  /// Where datagrams for the peer go; follows the peer when it roams.
  public var endpoint: Endpoint
  /// The endpoints the peer announced in its last handshake.
  public var announcedEndpoints: [Endpoint] = []

  /// The session used for sending.
  var current: UInt32?
  /// The session replaced by the last handshake, kept for packets still in flight.
  var previous: UInt32?
  /// A session this host answered but the initiator has not used yet.
  var next: UInt32?
  /// The local index of our own handshake in flight, if any. Beside the phase, not in its
  /// retry series: a response may still complete it after the peer came up another way.
  var pendingInitiation: UInt32?
  /// Where the peer is in its lifecycle: new, handshaking, up or rekeying.
  var phase = PeerPhase.new

  /// The wall-clock timestamp of the newest initiation accepted from this peer.
  var lastInitiationTimestamp: UInt64 = 0
  /// When the last handshake completed.
  var lastHandshake: MeshInstant?
  /// When we last sent anything to the peer.
  var lastSent: MeshInstant
  /// When we last received an authenticated message from the peer.
  var lastReceived: MeshInstant
  /// Whether the peer announced that it takes offloaded frames (kind 5 and 6).
  var acceptsOffload = false
  /// What is known of the underlay path to the peer: the largest datagram sent whole.
  public internal(set) var pathMTU = PathMTU.off
  /// The ID of the next message sent to the peer in pieces.
  var nextPieceMessage: UInt32 = 0
  /// The session last heard from `endpoint`, and the endpoint's last move: what tells a
  /// second host with this key from a peer that roams (see `MeshEngine.moveEndpoint`).
  var endpointSession: UInt32?
  var lastMove: EndpointMove?
  /// A second live host with this key, while this host holds the endpoint against it.
  public internal(set) var duplicateKey: DuplicateKey?

  /// The endpoint where a handshake this host sent was last answered: proved reachable by
  /// dialling, so worth saving as a known peer.
  var answeredEndpoint: Endpoint?
  /// Whether the session came up by dialling an endpoint learned from gossip (an observed or
  /// announced endpoint of a member this host had no session with): NAT traversal.
  public internal(set) var punched = false
  /// The peer's other endpoints, probed now and then (path choice), and when the next round
  /// of probes is due.
  var candidates: [EndpointCandidate] = []
  var nextProbeRound: MeshInstant?
  /// The endpoint path choice moved the peer to, while it is the current one.
  var chosenEndpoint: Endpoint?

  /// Bytes of decrypted payload received from the peer.
  public internal(set) var rxBytes: UInt64 = 0
  /// Bytes of payload sent to the peer, before encryption.
  public internal(set) var txBytes: UInt64 = 0
  /// Ethernet frames received from the peer.
  public internal(set) var rxFrames: UInt64 = 0
  /// Ethernet frames sent to the peer.
  public internal(set) var txFrames: UInt64 = 0
  /// Handshakes completed with the peer.
  public internal(set) var handshakesCompleted: UInt64 = 0
  /// Drops attributed to the peer.
  public internal(set) var drops = DropCounters()
  /// Handshake attempts of ours since the peer last came up (or was met), for status.
  var attempts = 0
  /// When the peer last came up or went down; nil while it never was up.
  var stateSince: MeshInstant?
  /// Why the peer last went down, for status; nil while it never did.
  var lastError: String?

  /// A peer first met at `now`.
  init(id: PeerID, staticKey: PublicKey, nickname: String, endpoint: Endpoint, now: MeshInstant) {
    self.id = id
    self.staticKey = staticKey
    self.nickname = nickname
    self.endpoint = endpoint
    self.lastSent = now
    self.lastReceived = now
  }

  /// The session to send with. Mutating on purpose: called through the peer table's modify
  /// accessor, it reads the field in place instead of copying the whole record per packet.
  mutating func sendingSession() -> UInt32? { current }

  /// The largest datagram that goes to the peer whole (in place, as `sendingSession`).
  mutating func datagramLimit() -> Int { pathMTU.datagramLimit }

  /// Counts a sent message and returns where it goes (in place, as `sendingSession`).
  mutating func noteSent(now: MeshInstant, bytes: Int, frames: UInt64) -> Endpoint {
    lastSent = now
    txBytes &+= UInt64(bytes)
    txFrames &+= frames
    return endpoint
  }

  /// Whether a datagram from `source` leaves the peer where it is: the current endpoint was
  /// chosen by path choice and `source` is another of the peer's known endpoints (the peer
  /// has not switched yet). A source never seen (a NAT rebinding) moves the peer as usual.
  func keepsChosenPath(against source: Endpoint) -> Bool {
    guard let chosen = chosenEndpoint, chosen == endpoint else { return false }
    return candidates.contains { $0.endpoint == source }
  }

  /// Whether the peer is currently reported up.
  var isUp: Bool { phase.isUp }

  /// The local indices of every session the peer holds.
  var sessionIndices: [UInt32] { [current, previous, next].compactMap { $0 } }
}

/// An endpoint we were asked to connect to whose key we do not know yet.
struct DialState: Sendable {
  /// Where to send initiations.
  var endpoint: Endpoint
  /// Our initiation in flight, if any.
  var pendingInitiation: UInt32?
  /// The attempts, from the first `connect` until the host answers or is forgotten.
  var retry: HandshakeRetry
  /// The host gossip says lives at this endpoint, when the dial came from gossip. Such a
  /// dial is unverified: it is made within a budget, given up after a few unanswered
  /// attempts, and never saved as a known peer.
  var learnedFrom: PeerID?
  /// Initiations sent to this endpoint so far.
  var attempts = 0
  /// Whether a punch request made this dial (a member asked for it through a neighbour).
  var punch = false
  /// When the dial started, for expiring an operator's endpoint that never answers; earlier
  /// than this run's start for an endpoint that went unanswered before a restart.
  var started: MeshInstant
  /// `started` on the wall clock (ns), saved with the endpoint so its age survives restarts.
  var startedWall: UInt64 = 0
  /// Set once an operator-asked endpoint has gone unanswered for
  /// `MeshEngineConfiguration.deadEndpointAge` and `deadEndpointAttempts`: still dialled, but
  /// no longer saved to known peers.
  var expired = false

  /// A dial towards `endpoint` starting at `now`.
  init(endpoint: Endpoint, now: MeshInstant) {
    self.endpoint = endpoint
    self.retry = HandshakeRetry(startingAt: now)
    self.started = now
  }
}

/// An initiation we sent and await the response to.
struct PendingInitiation {
  /// Noise state after writing message 1.
  var handshake: HandshakeState
  /// Which cluster secret the initiation used (for mac1 and the PSK).
  var secretIndex: Int
  /// Where it was sent.
  var endpoint: Endpoint
  /// When it was sent.
  var sent: MeshInstant
  /// Its mac1, the associated data of a cookie reply to it.
  var mac1: [UInt8]
  /// The member gossip said lives at `endpoint`, when a gossip dial sent it.
  var learnedFrom: PeerID?
}
