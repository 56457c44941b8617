import MeshProtocol
import MeshTypes

/// The control plane inside the sessions: this host's record, gossip to and from neighbours,
/// and the connection maker that dials every host it learns of.
extension MeshEngine {
  /// This host's record as it stands: endpoints, and the peers it has a live session with.
  func localRecord() -> PeerRecord {
    let connections = peers.values.filter(\.isUp).map(\.id)
    var record = PeerRecord(
      publicKey: publicKey, nickname: configuration.nickname,
      endpoints: announcedEndpoints(),
      version: clock.wallNanoseconds(),
      connections: Array(connections.prefix(MeshLimits.maxConnections)),
      subnet: localSubnet)
    record.subnetClaimedAt = localClaim?.claimedAt ?? 0
    record.names = localNames
    return record
  }

  /// Runs the gossip timers, publishes local changes, acts on what was learned, and adopts a
  /// changed topology.
  mutating func tickGossip(now: MeshInstant, out: inout some EngineOutput) {
    if localRecordDirty {
      localRecordDirty = false
      try? gossiper.setLocal(localRecord(), now: now)
    }
    let neighbors = peers.values.filter { $0.isUp && $0.current != nil }.map(\.id)
    let messages = gossiper.tick(now: now, neighbors: neighbors, random: &random)
    sendGossip(messages, now: now, out: &out)
    for event in gossiper.takeEvents() {
      switch event {
      case .learned(let peer, let endpoints), .endpointsChanged(let peer, let endpoints):
        dialIfUnconnected(peer, endpoints: endpoints, now: now)
        punchEndpointsChanged(peer, endpoints: endpoints, now: now, out: &out)
      case .departed(let peer):
        removePeer(peer)
      case .keyContested(let peer):
        let nickname = gossiper.topology[peer]?.nickname ?? ""
        out.event(.keyContested(peer, nickname: nickname, isSelf: peer == id))
      }
    }
    refreshRoutes()
  }

  /// Starts connecting to a host learned through gossip at every endpoint its record
  /// announces (its own addresses and where others observed it), unless it is this host,
  /// already has a session, or is already being dialled there. The first endpoint to answer
  /// wins; the other dials stop then (see `upsertPeer`). Two hosts behind NAT that learn of
  /// each other from a common member dial each other's observed endpoint at once, which opens
  /// both NATs' mappings: hole punching.
  mutating func dialIfUnconnected(_ peer: PeerID, endpoints: [Endpoint], now: MeshInstant) {
    guard peer != id else { return }
    if let p = peers[peer], p.current != nil || p.pendingInitiation != nil { return }
    for endpoint in endpoints.prefix(WireLimits.maxEndpoints) where !endpoint.isUnspecified {
      dialGossipEndpoint(endpoint, of: peer, now: now)
    }
  }

  /// One endpoint of `dialIfUnconnected`.
  mutating func dialGossipEndpoint(_ endpoint: Endpoint, of peer: PeerID, now: MeshInstant) {
    if let p = peers[peer], p.endpoint == endpoint { return }  // its own retries cover it
    guard dials[endpoint] == nil, !selfEndpoints.contains(endpoint) else { return }
    if let given = unansweredEndpoints[endpoint],
      now.seconds(since: given) < MeshLimits.unansweredEndpointMemory
    {
      return
    }
    dials[endpoint] = DialState(endpoint: endpoint, now: now)
    // A host that learns a whole mesh at once would dial every member in the same instant;
    // spread the first attempts over a moment so the handshakes (and the underlay's ARP) do not
    // arrive as one burst.
    let spread = min(2.0, 0.05 * Double(dials.count))
    // A member with a neighbour in common is punched to first (see `tickPunch`): a direct
    // datagram arriving at its NAT before it dialled here would make that NAT remap it.
    let punchFirst = gossiper.topology[peer]?.connections.contains { peers[$0]?.isUp == true }
    dials[endpoint]?.retry.nextAttempt = now.adding(
      seconds: (punchFirst == true ? 1 : 0) + spread * Double(random.uniform(1000)) / 1000)
    dials[endpoint]?.learnedFrom = peer
  }

  /// A gossip message from neighbour `peer`.
  mutating func receiveGossip(
    _ bytes: UnsafeRawBufferPointer, from peer: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let replies = gossiper.received(
      bytes: Array(bytes), from: peer, now: now, wall: clock.wallNanoseconds())
    sendGossip(replies, now: now, out: &out)
  }

  /// Sends gossip messages, each inside the session with its neighbour.
  mutating func sendGossip(
    _ messages: [Gossiper.Outgoing], now: MeshInstant, out: inout some EngineOutput
  ) {
    for (peer, bytes) in messages where bytes.count <= WireLimits.maxGossip {
      guard let p = peers.index(forKey: peer), peers.values[p].current != nil else { continue }
      let s = scratch.bytes
      s[TransportHeader.size] = InnerKind.gossip.rawValue
      UnsafeMutableRawBufferPointer(rebasing: s[(TransportHeader.size + 1)...]).copyBytes(
        from: bytes)
      sealAndSend(s, payloadLength: 1 + bytes.count, toPeerAt: p, frames: 0, now: now, out: &out)
    }
  }

  /// Gossip and path probes: the mesh control plane's messages.
  mutating func receiveControl(
    _ message: InnerMessage, _ plaintext: UnsafeRawBufferPointer, from peer: PeerID,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    switch message {
    case .gossip(let range):
      receiveGossip(
        UnsafeRawBufferPointer(rebasing: plaintext[range]), from: peer, now: now, out: &out)
    case .pathProbe(let probe):
      receiveProbe(probe, from: peer, now: now, out: &out)
    case .observedEndpoint(let endpoint):
      receiveObserved(endpoint, from: peer)
    case .punchRequest(let about, let endpoint):
      receivePunchRequest(about: about, endpoint: endpoint, from: peer, now: now, out: &out)
    default:
      break
    }
  }
}
