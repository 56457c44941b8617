import MeshProtocol
import MeshTypes

/// The decision-making core of a mesh host: handshakes, sessions, timers and the L2 switch.
///
/// A pure state machine. It owns no socket and no device and never reads a clock: every call
/// takes the current time and an `EngineOutput` to put its decisions into. `MeshNode` drives it
/// from a single thread; tests and fuzzers drive it directly, with no devices and no sleeps.
public struct MeshEngine {
  /// Room that must precede a frame in the buffer given to `sendFrame`, so that the frame can be
  /// encrypted in place: the larger of a relayed frame's headers (transport 16, relay header
  /// with the inner kind byte 18, virtio-net 10) and an end-to-end frame's (forwarded 44,
  /// transport 16, kind 1, virtio-net 10), 71 bytes.
  public static let framePrefix = max(
    TransportHeader.size + RelayHeader.size + VirtioNetHeader.size,
    ForwardHeader.size + TransportHeader.size + 1 + VirtioNetHeader.size)
  /// Bytes before every delivered frame that the output may overwrite.
  public static let deliveryHeadroom = VirtioNetHeader.size
  /// The most hosts a relayed frame crosses.
  public static let maxHops: UInt8 = 16
  /// Room that must follow a frame in that buffer, for the authentication tag.
  public static let frameSuffix = ChaChaPoly.tagLength
  /// The size of a buffer that holds any frame with its prefix and suffix.
  public static let bufferSize = framePrefix + WireLimits.maxFrame + frameSuffix

  /// The configuration.
  public private(set) var configuration: MeshEngineConfiguration
  /// This host's ID.
  public let id: PeerID
  /// This host's public key.
  public let publicKey: PublicKey
  var mac1Keys: [SymmetricKey]
  var random: any RandomSource
  let clock: any MeshClock

  var peers: [PeerID: PeerState] = [:]
  var dials: [Endpoint: DialState] = [:]
  var initiations: [UInt32: PendingInitiation] = [:]
  /// The local indexes of the initiations in flight (for the handshake fuzzer).
  package var pendingInitiationIndexes: [UInt32] { Array(initiations.keys) }
  /// Initiations this host answered, by the answer's local index, whose initiators have not
  /// proved their keys yet.
  var pendingResponses: [UInt32: PendingResponse] = [:]
  /// Attempts towards gossip-learned endpoints that may go out now (a token bucket of
  /// `MeshLimits.gossipDialBurst`, refilled at `gossipDialsPerSecond`), and when it was last
  /// refilled.
  var gossipDialTokens = MeshLimits.gossipDialBurst
  var gossipDialRefill: MeshInstant?
  /// Gossip-learned endpoints given up after `maxGossipDialAttempts` unanswered attempts, and
  /// when; not dialled again from gossip for `unansweredEndpointMemory`.
  var unansweredEndpoints: [Endpoint: MeshInstant] = [:]
  package var keypairs: [UInt32: Keypair] = [:]
  /// End-to-end sessions with members reached through relays, by member.
  var endToEnd: [PeerID: EndToEndLink] = [:]
  /// The end-to-end initiations in flight, by local index.
  var endToEndInitiations: [UInt32: PeerID] = [:]
  /// End-to-end initiations handed on by each neighbour, limited like handshakes from an
  /// address.
  var endToEndLimiter = RateLimiter()
  /// Forwarded datagrams this host passed on unopened.
  public internal(set) var forwardedDatagrams: UInt64 = 0
  /// Peers the operator gave by host name, resolved by the runtime.
  var namedPeers: [HostPort: NamedPeer] = [:]
  /// Endpoints that turned out to be this host (our own initiation came back): never dialled.
  var selfEndpoints: Set<Endpoint> = []
  /// Where each peer with a session says it sees this host (its observed endpoint).
  var observedEndpoints: [PeerID: Endpoint] = [:]
  /// Hole punching towards each member this host tried to reach that way (or was asked to):
  /// the round under way and the backoff (see `PunchState`).
  var punches: [PeerID: PunchState] = [:]
  var lastPunchScan: MeshInstant?
  /// Whether each member was reached directly at the last scan, and since when.
  var pathSince: [PeerID: (direct: Bool, at: MeshInstant)] = [:]
  /// The switch's learning table.
  public internal(set) var macTable = MACTable()
  /// Drops not attributable to a known peer.
  public internal(set) var drops = DropCounters()
  var lastTimestamp: UInt64 = 0
  /// Bumped whenever the set of known peer endpoints changes, so the node knows when to save
  /// it.
  public internal(set) var endpointsVersion: UInt64 = 0
  var lastHousekeeping: MeshInstant?
  /// Handshake messages that passed mac1, waiting for their Diffie-Hellman.
  var handshakeQueue: [QueuedHandshake] = []
  var cookieChecker = CookieChecker()
  var rateLimiter = RateLimiter()
  /// Handshakes refused as not of this cluster, per source, for rate-limited warnings.
  var handshakeRefusals = HandshakeRefusals()
  /// The mesh control plane: this host's record, the topology, gossip timers.
  public internal(set) var gossiper: Gossiper
  /// Routes from this host over the topology.
  public internal(set) var routes: Routes
  /// This host's children in every origin's broadcast tree, memoized.
  var trees: BroadcastTrees
  /// The topology generation `routes` and `trees` were computed from.
  var routesGeneration: UInt64?
  /// Set when this host's record must be republished (a session came up or went down).
  var localRecordDirty = true
  /// The names this host publishes in its record (`setLocalNames`).
  public internal(set) var localNames: [NameEntry] = []
  /// The subnet this host claims (IPAM), published in its record.
  public internal(set) var localSubnet: IPv4Network?
  /// The claim behind `localSubnet`.
  public internal(set) var localClaim: SubnetClaim?
  /// This host's side of IPAM, when the cluster uses it.
  var ipamState: IPAMState?
  /// A new host claims no earlier than this (see `claimSettleTime`).
  var claimNotBefore: MeshInstant?
  /// When a lost IPAM conflict this host keeps its subnet through was last reported.
  var lastSubnetConflictReport: MeshInstant?
  /// Cookies received from responders under load, by their endpoint.
  var cookies: [Endpoint: (cookie: [UInt8], received: MeshInstant)] = [:]
  /// Frames dropped for a MAC conflict since the last `macConflict` event, and when that
  /// event was last reported (the report is rate-limited).
  var macConflictsUnreported: UInt64 = 0
  var lastMACConflictReport: MeshInstant?
  /// Messages from peers arriving in pieces (inner kind 7), being put back together.
  var reassembly = PieceReassembly()
  /// Where pieces are built and sealed, one at a time, apart from `scratch` (which may hold
  /// the message being cut).
  let pieceScratch = ScratchBuffer(count: WireLimits.maxDatagram)
  /// Scratch space for flooding (each copy is encrypted separately) and control messages.
  let scratch = ScratchBuffer(count: MeshEngine.bufferSize)

  /// Creates an engine for the host described by `configuration`, drawing session indices and
  /// ephemeral keys from `random`. The clock gives wall time for handshake timestamps; monotonic
  /// time comes with each call.
  public init(
    configuration: MeshEngineConfiguration, clock: any MeshClock, random: any RandomSource
  ) {
    self.configuration = configuration
    self.clock = clock
    self.publicKey = configuration.privateKey.publicKey
    self.id = publicKey.peerID
    self.mac1Keys = configuration.clusterSecrets.map(MeshHandshake.mac1Key)
    var random = random
    let signer = RecordSigner(privateKey: configuration.privateKey, random: &random)
    self.random = random
    let record = PeerRecord(
      publicKey: configuration.privateKey.publicKey, nickname: configuration.nickname,
      endpoints: Array(configuration.advertisedEndpoints.prefix(WireLimits.maxEndpoints)),
      version: clock.wallNanoseconds())
    self.gossiper = try! Gossiper(
      local: record, signer: signer,
      configuration: Gossiper.Configuration(operatorKeys: configuration.operatorKeys))
    self.routes = Routes(source: record.id)
    self.trees = BroadcastTrees(local: record.id)
    if let plan = configuration.ipam {
      let state = IPAMState(plan: plan, id: record.id, persisted: configuration.ipamClaim)
      ipamState = state
      localClaim = state.claim
      localSubnet = state.subnet
    }
  }

  // MARK: Operator requests

  /// Sets the MACs that live on this host's bridge for good (the bridge's own and the
  /// TAP's): no remote host may source frames from them.
  public mutating func pinLocalMACs(_ macs: Set<MACAddress>) {
    macTable.pin(local: macs)
  }

  /// Starts connecting to `endpoint` (a configured or `meshd connect` peer). Retries forever,
  /// with backoff, until `forget`.
  public mutating func connect(_ endpoint: Endpoint, now: MeshInstant) {
    if selfEndpoints.contains(endpoint) { return }
    unansweredEndpoints[endpoint] = nil
    if dials[endpoint]?.expired == true {
      // Asked for again: the operator vouches for it anew, and it is saved again.
      dials[endpoint]?.expired = false
      dials[endpoint]?.started = now
      let wall = clock.wallNanoseconds()
      dials[endpoint]?.startedWall = wall
      dials[endpoint]?.attempts = 0
      endpointsVersion &+= 1
      return
    }
    if dials[endpoint]?.learnedFrom != nil {
      // The operator vouches for an endpoint gossip suggested: it is dialled for good now.
      dials[endpoint]?.learnedFrom = nil
      endpointsVersion &+= 1
      return
    }
    if peers.values.contains(where: { $0.endpoint == endpoint }) || dials[endpoint] != nil {
      return
    }
    var dial = DialState(endpoint: endpoint, now: now)
    dial.startedWall = clock.wallNanoseconds()
    dials[endpoint] = dial
    endpointsVersion &+= 1
  }

  /// Starts connecting to a remembered endpoint (the known-peers file): as `connect`, but an
  /// endpoint that went unanswered in earlier runs keeps its age and its attempts, so it
  /// expires after `deadEndpointAge` and `deadEndpointAttempts` in all, not in each run.
  public mutating func connect(_ known: KnownPeer, now: MeshInstant) {
    let isNew = dials[known.endpoint] == nil
    connect(known.endpoint, now: now)
    guard isNew, let unanswered = known.unanswered, dials[known.endpoint] != nil else { return }
    let wall = clock.wallNanoseconds()
    let sinceNs = unanswered.since.multipliedReportingOverflow(by: 1_000_000_000)
    guard !sinceNs.overflow, sinceNs.partialValue <= wall else { return }
    let age = min(wall - sinceNs.partialValue, now.nanoseconds)
    dials[known.endpoint]?.started = MeshInstant(nanoseconds: now.nanoseconds - age)
    dials[known.endpoint]?.startedWall = wall - age
    dials[known.endpoint]?.attempts = max(0, min(unanswered.attempts, 1_000_000))
  }

  /// `knownEndpoints` with how long each that never answered has gone unanswered: what the
  /// known-peers file holds.
  public var knownPeers: [KnownPeer] {
    knownEndpoints.map { endpoint in
      guard let dial = dials[endpoint], dial.learnedFrom == nil,
        !peers.values.contains(where: { $0.endpoint == endpoint })
      else { return KnownPeer(endpoint) }
      return KnownPeer(
        endpoint,
        unanswered: .init(since: dial.startedWall / 1_000_000_000, attempts: dial.attempts))
    }
  }

  /// Every endpoint this host would reconnect to after a restart, sorted: where its peers
  /// are, when this host's own handshake was answered there or the peer announces it as its
  /// own (a NAT mapping a peer merely came from is not saved), and the endpoints an operator
  /// asked for. Endpoints only gossip suggested are not saved until a handshake answers there,
  /// nor are asked-for endpoints that never answered for `deadEndpointAge` and
  /// `deadEndpointAttempts` (see `MeshEngineConfiguration`).
  public var knownEndpoints: [Endpoint] {
    let asked = dials.values.filter { $0.learnedFrom == nil && !$0.expired }.map(\.endpoint)
    let proved = peers.values.filter {
      $0.answeredEndpoint == $0.endpoint || $0.announcedEndpoints.contains($0.endpoint)
    }
    return Set(proved.map(\.endpoint)).union(asked).sorted {
      $0.description < $1.description
    }
  }

  /// The peers with a session up, each at its current endpoint: what the runtime gives a
  /// receive socket of its own. Called when peers change, never per packet.
  package var upPeerEndpoints: [PeerID: Endpoint] {
    var result: [PeerID: Endpoint] = [:]
    for (id, p) in peers where p.isUp { result[id] = p.endpoint }
    return result
  }

  /// Stops connecting to `endpoint` and drops any peer there, wiping its keys. Returns whether
  /// anything was known at that endpoint.
  @discardableResult
  public mutating func forget(_ endpoint: Endpoint) -> Bool {
    var found = false
    if let d = dials.removeValue(forKey: endpoint) {
      found = true
      endpointsVersion &+= 1
      if let i = d.pendingInitiation { initiations[i] = nil }
    }
    for id in peers.keys where peers[id]?.endpoint == endpoint {
      found = true
      removePeer(id)
    }
    return found
  }

  /// Replaces the cluster secrets (rotation); sessions already up stay up.
  public mutating func setClusterSecrets(_ secrets: [SymmetricKey]) {
    precondition(!secrets.isEmpty)
    configuration.clusterSecrets = secrets
    mac1Keys = secrets.map(MeshHandshake.mac1Key)
  }

  /// Replaces the allow-list; peers no longer allowed are dropped at once.
  public mutating func setAllowedKeys(_ keys: Set<PublicKey>?) {
    configuration.allowedKeys = keys
    guard let keys else { return }
    for (id, p) in peers where !keys.contains(p.staticKey) { removePeer(id) }
  }

  mutating func removePeer(_ id: PeerID) {
    guard let p = peers.removeValue(forKey: id) else { return }
    endpointsVersion &+= 1
    localRecordDirty = true
    observedEndpoints[id] = nil
    for i in p.sessionIndices { keypairs[i]?.wipe(); keypairs[i] = nil }
    if let i = p.pendingInitiation { initiations[i] = nil }
    for (i, held) in pendingResponses where held.peer == id { dropPendingResponse(i) }
    macTable.forget(peer: id)
    reassembly.forget(id)
  }

  // MARK: Indices and timestamps

  /// A fresh random local index not in use.
  mutating func newIndex() -> UInt32 {
    while true {
      let i = random.next32()
      if i != 0, keypairs[i] == nil, initiations[i] == nil, endToEndInitiations[i] == nil {
        return i
      }
    }
  }

  /// A handshake timestamp: wall-clock time, but never going backwards within a process.
  mutating func nextTimestamp() -> UInt64 {
    lastTimestamp = max(clock.wallNanoseconds(), lastTimestamp &+ 1)
    return lastTimestamp
  }
}
