import MeshProtocol
import MeshTypes

/// Path choice and observed endpoints. Each side of a session tells the other where it sees
/// it (`InnerKind.observedEndpoint`, as STUN does), so a host behind NAT learns its mapped
/// address and announces it in its record; a peer's other endpoints are probed inside the
/// session now and then (`InnerKind.endpointProbe`), and the path moves to one that answers
/// clearly faster, or as fast on a private (same-site) address.
extension MeshEngine {
  /// The endpoints this host announces in its record: the configured ones (`--advertise`,
  /// listen or interface addresses), with room kept for up to two endpoints that peers
  /// observed it at, most often reported first; at most `WireLimits.maxEndpoints`.
  func announcedEndpoints() -> [Endpoint] {
    let configured = configuration.advertisedEndpoints
    var counts: [Endpoint: Int] = [:]
    for (peer, endpoint) in observedEndpoints where peers[peer]?.isUp == true {
      guard endpoint.isAnnounceable, !configured.contains(endpoint) else { continue }
      counts[endpoint, default: 0] += 1
    }
    let observed = counts.sorted {
      $0.value != $1.value ? $0.value > $1.value : $0.key.description < $1.key.description
    }.prefix(2).map(\.key)
    let room = WireLimits.maxEndpoints - observed.count
    return Array(configured.prefix(room)) + observed
  }

  /// Tells the peer where its datagrams come from, inside the session.
  mutating func sendObservedEndpoint(
    to peer: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let p = peers[peer], p.current != nil else { return }
    let s = scratch.bytes
    let room = UnsafeMutableRawBufferPointer(rebasing: s[TransportHeader.size...])
    guard let n = try? InnerMessage.writeObservedEndpoint(p.endpoint, into: room) else { return }
    sealAndSend(s, payloadLength: n, to: peer, frames: 0, now: now, out: &out)
  }

  /// A peer says where it sees this host: announced in the record when it changes.
  mutating func receiveObserved(_ endpoint: Endpoint, from peer: PeerID) {
    guard observedEndpoints[peer] != endpoint else { return }
    let before = announcedEndpoints()
    observedEndpoints[peer] = endpoint
    if announcedEndpoints() != before { localRecordDirty = true }
  }

  /// The endpoints a peer may be reached at besides its current one: what its record and its
  /// handshake announce, never this host's own.
  func candidateEndpoints(of peer: PeerID) -> [Endpoint] {
    guard let p = peers[peer] else { return [] }
    var list: [Endpoint] = []
    let announced = (gossiper.topology[peer]?.endpoints ?? []) + p.announcedEndpoints
    for e in announced
    where e != p.endpoint && !e.isUnspecified && !selfEndpoints.contains(e) && !list.contains(e) {
      list.append(e)
    }
    return Array(list.prefix(WireLimits.maxEndpoints))
  }

  /// Probes the peer's other endpoints (and its current one, to compare) when a round is due,
  /// and moves to a better one that answered.
  mutating func tickPaths(of peer: PeerID, now: MeshInstant, out: inout some EngineOutput) {
    guard let p = peers[peer], p.isUp, p.current != nil else { return }
    // The current path left its probe unanswered: the candidates that answered are compared
    // without it.
    if let i = p.candidates.firstIndex(where: { $0.endpoint == p.endpoint }),
      p.candidates[i].pendingProbe != nil, !p.candidates[i].isAwaitingAnswer(now: now)
    {
      peers[peer]?.candidates[i].pendingProbe = nil
      choosePath(of: peer, now: now, out: &out)
    }
    if let next = p.nextProbeRound, next > now { return }
    if p.nextProbeRound == nil {
      peers[peer]?.nextProbeRound = now.adding(seconds: EndpointCandidate.firstProbeDelay)
      return
    }
    // A chosen path whose probes stopped answering is held no longer: the peer's traffic
    // from its other endpoints moves it again.
    if let p = peers[peer], let chosen = p.chosenEndpoint,
      let answered = p.candidates.first(where: { $0.endpoint == chosen })?.lastAnswer,
      now.seconds(since: answered) >= EndpointCandidate.freshness
    {
      peers[peer]?.chosenEndpoint = nil
    }
    choosePath(of: peer, now: now, out: &out)
    let endpoints = candidateEndpoints(of: peer)
    var candidates = peers[peer]?.candidates.filter { endpoints.contains($0.endpoint) } ?? []
    for e in endpoints where !candidates.contains(where: { $0.endpoint == e }) {
      candidates.append(EndpointCandidate(endpoint: e))
    }
    guard let current = peers[peer]?.endpoint else { return }
    if !candidates.contains(where: { $0.endpoint == current }) {
      candidates.append(EndpointCandidate(endpoint: current))
    }
    for i in candidates.indices {
      let id = random.next32()
      candidates[i].pendingProbe = id
      candidates[i].sentAt = now
      sendEndpointProbe(
        EndpointProbe(probeID: id, isReply: false), to: peer,
        at: candidates[i].endpoint, now: now, out: &out)
    }
    peers[peer]?.candidates = candidates
    let jitter = Double(random.uniform(1000)) / 1000 * 5
    peers[peer]?.nextProbeRound = now.adding(seconds: EndpointCandidate.probeInterval + jitter)
  }

  /// Moves the peer to the best candidate that answered, if it beats the current endpoint.
  mutating func choosePath(of peer: PeerID, now: MeshInstant, out: inout some EngineOutput) {
    guard let p = peers[peer] else { return }
    // A candidate is compared with the current path's answer to the same round, never raced
    // against it (the current path's probe leaves last): while that answer may come, wait.
    let current = p.candidates.first { $0.endpoint == p.endpoint }
    if current?.isAwaitingAnswer(now: now) == true { return }
    let currentRTT = current?.roundTrip
    let better = p.candidates.filter {
      $0.endpoint != p.endpoint && $0.isBetter(than: p.endpoint, currentRTT: currentRTT, now: now)
    }
    guard
      let best = better.min(by: {
        ($0.endpoint.isPrivate ? 0 : 1, $0.roundTrip ?? 1) < (
          $1.endpoint.isPrivate ? 0 : 1, $1.roundTrip ?? 1
        )
      })
    else { return }
    peers[peer]?.endpoint = best.endpoint
    peers[peer]?.chosenEndpoint = best.endpoint
    endpointsVersion &+= 1
    out.event(.endpointChanged(peer, best.endpoint))
    // The peer follows on our next datagram from the new path.
    sendKeepalive(to: peer, now: now, out: &out)
  }

  /// Seals a probe in the peer's current session and sends it to `endpoint` (not necessarily
  /// the peer's current one). Counts as nothing sent: keepalives still go to the real path.
  mutating func sendEndpointProbe(
    _ probe: EndpointProbe, to peer: PeerID, at endpoint: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let p = peers.index(forKey: peer), let index = peers.values[p].current,
      let slot = keypairs.index(forKey: index)
    else { return }
    let s = scratch.bytes
    let room = UnsafeMutableRawBufferPointer(rebasing: s[TransportHeader.size...])
    guard let n = try? InnerMessage.writeEndpointProbe(probe, into: room),
      let length = keypairs.values[slot].seal(
        s, payloadLength: n, now: now, timers: configuration.timers)
    else { return }
    out.send(UnsafeRawBufferPointer(rebasing: s[0..<length]), to: endpoint)
  }

  /// A probe or reply, authenticated in the peer's session, from `source`: a probe is
  /// answered to where it came from; a reply records the round trip of that endpoint.
  mutating func receiveEndpointProbe(
    _ probe: EndpointProbe, from peer: PeerID, source: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    if !probe.isReply {
      let reply = EndpointProbe(probeID: probe.probeID, isReply: true)
      return sendEndpointProbe(reply, to: peer, at: source, now: now, out: &out)
    }
    guard var p = peers[peer],
      let i = p.candidates.firstIndex(where: {
        $0.pendingProbe == probe.probeID && $0.endpoint == source
      }),
      let sent = p.candidates[i].sentAt
    else { return }
    p.candidates[i].pendingProbe = nil
    p.candidates[i].roundTrip = now.seconds(since: sent)
    p.candidates[i].lastAnswer = now
    peers[peer] = p
    choosePath(of: peer, now: now, out: &out)
  }
}
