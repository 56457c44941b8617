import MeshTypes

/// A snapshot of a mesh host, for the control API and embedders.
public struct MeshStatus: Sendable, Equatable {
  /// One peer, or one endpoint still being dialled.
  public struct Peer: Sendable, Equatable {
    /// The peer's ID, nil while its key is not known yet.
    public var id: PeerID?
    /// The peer's announced host name.
    public var nickname: String
    /// The peer's static public key, base64.
    public var publicKey: String?
    /// Where the peer's datagrams go.
    public var endpoint: Endpoint
    /// `established`, `handshaking` or `connecting`.
    public var state: String
    /// Seconds since the current session's handshake.
    public var sessionAge: Double?
    /// Seconds since the last completed handshake.
    public var lastHandshakeAgo: Double?
    /// Decrypted bytes received.
    public var rxBytes: UInt64
    /// Bytes sent, before encryption.
    public var txBytes: UInt64
    /// Frames received.
    public var rxFrames: UInt64
    /// Frames sent.
    public var txFrames: UInt64
    /// Handshakes completed.
    public var handshakesCompleted: UInt64
    /// Drops attributed to this peer, by reason.
    public var drops: DropCounters
    /// When a second live host uses this peer's key: its endpoint, refused while `endpoint`
    /// (the host that held the key first) keeps the session. Nil normally.
    public var duplicateKeyEndpoint: Endpoint?
    /// The largest underlay packet the path to the peer carries whole, as measured with
    /// probes (see `PathMTU`); nil while not measured (the peer takes no probes).
    public var pathMTU: Int?
    /// Handshake attempts of this host's since the peer last came up or went down (for a
    /// dial: since it started).
    public var attempts = 0
    /// Seconds the peer has been in its `state` (up, or down), when known.
    public var stateFor: Double?
    /// Why the peer last went down (or why a dial gets no answer), when known.
    public var lastError: String?
    /// The round trip to the peer's current endpoint in seconds, as path choice measured it;
    /// nil while not measured.
    public var roundTrip: Double?

    /// A peer row from its fields (the engine builds these; the CLI decodes them).
    public init(
      id: PeerID?, nickname: String, publicKey: String?, endpoint: Endpoint, state: String,
      sessionAge: Double?, lastHandshakeAgo: Double?, rxBytes: UInt64, txBytes: UInt64,
      rxFrames: UInt64, txFrames: UInt64, handshakesCompleted: UInt64, drops: DropCounters,
      duplicateKeyEndpoint: Endpoint? = nil, pathMTU: Int? = nil
    ) {
      self.duplicateKeyEndpoint = duplicateKeyEndpoint
      self.pathMTU = pathMTU
      self.id = id
      self.nickname = nickname
      self.publicKey = publicKey
      self.endpoint = endpoint
      self.state = state
      self.sessionAge = sessionAge
      self.lastHandshakeAgo = lastHandshakeAgo
      self.rxBytes = rxBytes
      self.txBytes = txBytes
      self.rxFrames = rxFrames
      self.txFrames = txFrames
      self.handshakesCompleted = handshakesCompleted
      self.drops = drops
    }
  }

  /// How this host reaches another member.
  public struct Route: Sendable, Equatable {
    /// The member.
    public var destination: PeerID
    /// Its name, from its record.
    public var nickname: String
    /// The neighbour frames for it go to; the member itself when direct.
    public var nextHop: PeerID
    /// Hops on the route; 1 when direct.
    public var hops: Int
    /// Whether this host has a live session with the member itself.
    public var isDirect: Bool
    /// Whether the direct session came through NAT by hole punching.
    public var isPunched = false
    /// Where the member's datagrams go, when direct.
    public var endpoint: Endpoint?
    /// The next hop's name, when relayed.
    public var viaNickname: String?
    /// Whether frames for a relayed member are sealed for it alone (an end-to-end session
    /// through the relays, which pass them on unopened), rather than hop by hop.
    public var isEndToEnd = false
    /// Seconds the route has been direct, or relayed, without a change.
    public var inStateFor: Double?
    /// Why a relayed member is not direct (what direct attempts found), when known.
    public var lastError: String?

    /// A route from its fields.
    public init(
      destination: PeerID, nickname: String, nextHop: PeerID, hops: Int, isDirect: Bool
    ) {
      self.destination = destination
      self.nickname = nickname
      self.nextHop = nextHop
      self.hops = hops
      self.isDirect = isDirect
    }
  }

  /// A member named by ID and host name (a departed one, in `departed`).
  public struct Member: Sendable, Equatable {
    /// The member's ID.
    public var id: PeerID
    /// Its host name, from its last record.
    public var nickname: String

    /// A member from its fields.
    public init(id: PeerID, nickname: String) {
      self.id = id
      self.nickname = nickname
    }
  }

  /// How full the cluster's IPAM range is.
  public struct IPAMUsage: Sendable, Equatable {
    /// The range.
    public var range: IPv4Network
    /// The prefix length of each host's subnet.
    public var subnetSize: Int
    /// Subnets the range holds.
    public var total: Int
    /// Subnets claimed by a member (after conflict resolution).
    public var used: Int
    /// Subnets nobody holds.
    public var free: Int { max(0, total - used) }

    /// Usage from its fields.
    public init(range: IPv4Network, subnetSize: Int, total: Int, used: Int) {
      self.range = range
      self.subnetSize = subnetSize
      self.total = total
      self.used = used
    }
  }

  /// This host's ID.
  public var id: PeerID
  /// This host's name.
  public var nickname: String
  /// This host's public key, base64.
  public var publicKey: String
  /// Peers and pending dials, ordered by endpoint.
  public var peers: [Peer]
  /// Drops not attributed to a peer, by reason (all drops, in fact: peer drops count here too).
  public var drops: DropCounters
  /// Learned MAC addresses.
  public var macTableSize: Int
  /// Forwarded datagrams (end-to-end traffic of other members) this host passed on unopened.
  public var forwardedDatagrams: UInt64 = 0
  /// Every member this host can reach, direct or relayed, ordered by ID.
  public var routes: [Route] = []
  /// Members in the gossiped topology, this host included; departed ones are not counted.
  public var members: Int = 1
  /// Members released for good (their records are tombstones), ordered by ID.
  public var departed: [Member] = []
  /// The IPAM range's used and free subnets; nil without IPAM.
  public var ipam: IPAMUsage?
  /// This host's IPAM subnet, when it holds one.
  public var subnet: IPv4Network?
  /// Every host's IPAM subnet after conflict resolution, ordered by subnet.
  public var claims: [(peer: PeerID, nickname: String, subnet: IPv4Network)] = []
  /// Keys that two live hosts appear to use, this host's own included (see `KeyContests`),
  /// ascending; empty normally.
  public var contestedKeys: [PeerID] = []
  /// Whether the TAP is joined to the bridge (`attached`) or the bridge is gone (`missing`);
  /// nil when the engine alone answered (no data thread runs).
  public var bridgeState: String?
  /// Whether the TAP is `up` or lost and being `recreating`; nil when no data thread runs.
  public var tapState: String?

  /// A status from its main fields; routes, members, subnet and claims start empty.
  public init(
    id: PeerID, nickname: String, publicKey: String, peers: [Peer], drops: DropCounters,
    macTableSize: Int
  ) {
    self.id = id
    self.nickname = nickname
    self.publicKey = publicKey
    self.peers = peers
    self.drops = drops
    self.macTableSize = macTableSize
  }

  /// Member-wise equality (written out because `claims` holds tuples).
  public static func == (a: MeshStatus, b: MeshStatus) -> Bool {
    a.id == b.id && a.nickname == b.nickname && a.publicKey == b.publicKey
      && a.peers == b.peers && a.drops == b.drops && a.macTableSize == b.macTableSize
      && a.routes == b.routes && a.members == b.members && a.subnet == b.subnet
      && a.claims.elementsEqual(b.claims) { $0 == $1 }
      && a.bridgeState == b.bridgeState && a.tapState == b.tapState
      && a.contestedKeys == b.contestedKeys && a.departed == b.departed && a.ipam == b.ipam
      && a.forwardedDatagrams == b.forwardedDatagrams
  }
}

extension MeshEngine {
  /// The current state, for status output.
  public func status(now: MeshInstant) -> MeshStatus {
    var list: [MeshStatus.Peer] = []
    for p in peers.values {
      let current = p.current.flatMap { keypairs[$0] }
      let established = current != nil && p.isUp
      var row =
        MeshStatus.Peer(
          id: p.id, nickname: p.nickname, publicKey: p.staticKey.base64, endpoint: p.endpoint,
          state: established ? "established" : (p.stateSince == nil ? "handshaking" : "down"),
          sessionAge: established ? current.map { $0.age(now) } : nil,
          lastHandshakeAgo: p.lastHandshake.map { now.seconds(since: $0) },
          rxBytes: p.rxBytes, txBytes: p.txBytes, rxFrames: p.rxFrames, txFrames: p.txFrames,
          handshakesCompleted: p.handshakesCompleted, drops: p.drops,
          duplicateKeyEndpoint: p.duplicateKey.flatMap { $0.isHolding(now) ? $0.refused : nil },
          pathMTU: p.pathMTU.pathMTU(ipv6: p.endpoint.isIPv6))
      describeDiagnostics(of: &row, peer: p, now: now)
      list.append(row)
    }
    for d in dials.values {
      var row = MeshStatus.Peer(
        id: nil, nickname: "", publicKey: nil, endpoint: d.endpoint, state: "connecting",
        sessionAge: nil, lastHandshakeAgo: nil, rxBytes: 0, txBytes: 0, rxFrames: 0,
        txFrames: 0, handshakesCompleted: 0, drops: DropCounters())
      describeDiagnostics(of: &row, dial: d, now: now)
      list.append(row)
    }
    list.sort { $0.endpoint.description < $1.endpoint.description }
    var status = MeshStatus(
      id: id, nickname: configuration.nickname, publicKey: publicKey.base64, peers: list,
      drops: drops, macTableSize: macTable.count)
    status.forwardedDatagrams = forwardedDatagrams
    let topology = gossiper.topology
    describeMembers(of: &status)
    status.contestedKeys = gossiper.contests.contested(now: now)
    status.subnet = localSubnet
    status.claims = resolvedClaims.map {
      (peer: $0.key, nickname: topology[$0.key]?.nickname ?? "", subnet: $0.value)
    }
    .sorted { $0.subnet.address < $1.subnet.address }
    for destination in routes.reachable {
      guard let hop = nextHop(to: destination) else { continue }
      let direct = hop == destination
      var route = MeshStatus.Route(
        destination: destination, nickname: topology[destination]?.nickname ?? "",
        nextHop: hop, hops: direct ? 1 : routes.hops(to: destination) ?? 0, isDirect: direct)
      describePath(of: &route, now: now)
      status.routes.append(route)
    }
    return status
  }
}

extension MeshEngine {
  /// Fills in how a route's member is reached: direct (which endpoint, punched or not) or
  /// relayed (via whom, and why not direct), and for how long.
  func describePath(of route: inout MeshStatus.Route, now: MeshInstant) {
    let destination = route.destination
    if let since = pathSince[destination], since.direct == route.isDirect {
      route.inStateFor = now.seconds(since: since.at)
    }
    if route.isDirect, let p = peers[destination] {
      route.endpoint = p.endpoint
      route.isPunched = p.punched
      return
    }
    route.viaNickname = gossiper.topology[route.nextHop]?.nickname
    route.isEndToEnd =
      endToEnd[destination]?.current.flatMap { keypairs[$0] }?.isUsable(now, configuration.timers)
      ?? false
    let endpoints = gossiper.topology[destination]?.endpoints ?? []
    let silent = endpoints.filter { unansweredEndpoints[$0] != nil }
    if let punch = punches[destination], punch.unanswered == 0,
      now.seconds(since: punch.started) < 5
    {
      route.lastError = "hole punching in progress; relayed meanwhile"
    } else if let punch = punches[destination] {
      let next = max(0, punch.due.seconds(since: now))
      route.lastError =
        "hole punching unanswered at \(endpoints.map(\.description).joined(separator: ", ")): "
        + "a NAT on the way maps each destination to a new port (symmetric NAT) or a firewall "
        + "drops it; relayed, next try in \(Int(next.rounded(.up))) s"
    } else if !silent.isEmpty {
      route.lastError =
        "no answer at \(silent.map(\.description).joined(separator: ", ")); relayed"
    } else if endpoints.isEmpty {
      route.lastError = "it announces no endpoint; relayed"
    }
  }
}
