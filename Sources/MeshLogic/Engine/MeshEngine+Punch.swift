import MeshProtocol
import MeshTypes

/// Hole punching through a common member. A host that learns of a member it has no session
/// with, but which has a session with one of its own neighbours, sends each of the member's
/// endpoints an opener that crosses only a few routers (it opens this host's NAT towards the
/// member and dies before the member's NAT, where a stray datagram would make that NAT remap
/// the member's answer), then asks the neighbour to pass the request on. The neighbour tells
/// both ends where it sees the other: each sends that endpoint an opener at once and dials it
/// `punchDialDelay` later, by when the other end has opened its NAT too. Both ends do this,
/// so either direction may open the path. A NAT that maps every destination to a new port
/// (symmetric) defeats it: the pair stays relayed.
///
/// Why the neighbour tells both ends, and why the dial waits: a member's record may not carry
/// its NAT's mapping yet when this host first punches (a host learns its mapping from its
/// first neighbour a moment after the session with it is up, and its record may travel
/// before). The opener then misses the mapping, and the member's datagram reaching this
/// host's NAT first leaves a conntrack entry there that remaps every later datagram of this
/// host towards the member, for as long as the member keeps sending and the NAT's UDP
/// timeout after: the pair stayed relayed until the next round, 30 s on.
///
/// A round that brings no session is tried again after a backoff (see `PunchState`).
extension MeshEngine {
  /// How often, in seconds, a host retries punching towards one member it has no session
  /// with, once the backoff after unanswered rounds has grown to it.
  public static let punchInterval = 30.0
  /// How long, in seconds, a host told where to meet a member waits between its opener and
  /// its dial: the member, told at the same moment, opens its own NAT meanwhile.
  public static let punchDialDelay = 1.0

  /// Starts a punch towards every member that is due one; run from `tick`.
  mutating func tickPunch(now: MeshInstant, out: inout some EngineOutput) {
    if let last = lastPunchScan, now.seconds(since: last) < 1 { return }
    lastPunchScan = now
    notePathChanges(now: now, out: &out)
    for record in gossiper.topology.records.values {
      punchIfDue(record.id, now: now, out: &out)
    }
    if punches.count > MeshLimits.maxPeers {
      punches = punches.filter {
        gossiper.topology[$0.key] != nil
          && now.seconds(since: $0.value.started) < MeshEngine.punchInterval
      }
    }
  }

  /// Punches towards `member` when it has no session with this host, one with a neighbour of
  /// this host, and its next round is due.
  mutating func punchIfDue(_ member: PeerID, now: MeshInstant, out: inout some EngineOutput) {
    guard member != id, let record = gossiper.topology[member], !record.departed,
      peers[member]?.isUp != true
    else { return }
    if let state = punches[member], !state.isDue(now) { return }
    guard
      let via = record.connections.first(where: {
        $0 != id && peers[$0]?.isUp == true && peers[$0]?.current != nil
      })
    else { return }
    punch(member, endpoints: record.endpoints, via: via, now: now, out: &out)
  }

  /// The member's record now announces `endpoints`: one never tried makes a round due at
  /// once (no sooner than `PunchState.minimumGap` after the last), with the backoff afresh.
  mutating func punchEndpointsChanged(
    _ member: PeerID, endpoints: [Endpoint], now: MeshInstant, out: inout some EngineOutput
  ) {
    let targets = punchTargets(endpoints)
    _ = punches[member]?.endpointsChanged(to: targets, now: now)
    punchIfDue(member, now: now, out: &out)
  }

  /// Opens this host's NAT towards `peer`'s endpoints and asks `via` to have it dial here.
  mutating func punch(
    _ peer: PeerID, endpoints: [Endpoint], via: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let targets = punchTargets(endpoints)
    let draw = random.uniform(HandshakeRetry.jitterDrawBound)
    var state = punches[peer] ?? PunchState(now: now, jitterDraw: draw)
    if punches[peer] == nil {
      state.via = via
      state.note(targets)
    } else if let ended = state.begin(now: now, via: via, endpoints: targets, jitterDraw: draw),
      PunchState.reports(ended)
    {
      reportUnanswered(peer, ended, out: &out)
    }
    punches[peer] = state
    for endpoint in targets { sendOpener(to: endpoint, out: &out) }
    sendPunchRequest(about: peer, endpoint: nil, to: via, now: now, out: &out)
  }

  /// The endpoints of a member's record that a round opens this host's NAT towards.
  func punchTargets(_ endpoints: [Endpoint]) -> [Endpoint] {
    endpoints.prefix(WireLimits.maxEndpoints).filter {
      $0.isAnnounceable && !selfEndpoints.contains($0)
    }
  }

  /// Reports a round towards `peer` that brought no session (a `punchUnanswered` event).
  func reportUnanswered(
    _ peer: PeerID, _ round: PunchState.Unanswered, out: inout some EngineOutput
  ) {
    let topology = gossiper.topology
    out.event(
      .punchUnanswered(
        peer, nickname: topology[peer]?.nickname ?? "",
        via: round.via.map { topology[$0]?.nickname ?? "\($0)" } ?? "",
        endpoints: round.endpoints, after: round.after, next: round.next))
  }

  /// Sends `endpoint` a datagram that dies a few routers out: it opens this host's NAT
  /// towards the endpoint without reaching the NAT in front of it. Its four bytes are no
  /// message any receiver takes, should it arrive after all.
  func sendOpener(to endpoint: Endpoint, out: inout some EngineOutput) {
    let opener: [UInt8] = [0xFF, 0, 0, 0]
    opener.withUnsafeBytes {
      out.sendLimited($0, to: endpoint, hopLimit: configuration.punchOpenerHopLimit)
    }
  }

  /// Sends a punch request about `peer` to neighbour `to`.
  mutating func sendPunchRequest(
    about peer: PeerID, endpoint: Endpoint?, to neighbour: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let s = scratch.bytes
    let room = UnsafeMutableRawBufferPointer(rebasing: s[TransportHeader.size...])
    guard let n = try? InnerMessage.writePunchRequest(peer: peer, endpoint: endpoint, into: room)
    else { return }
    sealAndSend(s, payloadLength: n, to: neighbour, frames: 0, now: now, out: &out)
  }

  /// A punch request from neighbour `from`. Without an endpoint it asks this host to pass it
  /// on: `peer` is told where this host sees `from`, and `from` where it sees `peer`. With
  /// one, it asks this host to meet `peer` there now.
  mutating func receivePunchRequest(
    about peer: PeerID, endpoint: Endpoint?, from neighbour: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let endpoint else {
      guard peer != id, peer != neighbour, peers[peer]?.isUp == true,
        let seen = peers[neighbour]?.endpoint, let seenPeer = peers[peer]?.endpoint,
        takeGossipDialToken(now: now)
      else { return }
      sendPunchRequest(about: neighbour, endpoint: seen, to: peer, now: now, out: &out)
      sendPunchRequest(about: peer, endpoint: seenPeer, to: neighbour, now: now, out: &out)
      return
    }
    guard peer != id, peers[peer]?.isUp != true, !endpoint.isUnspecified,
      !selfEndpoints.contains(endpoint), takeGossipDialToken(now: now)
    else { return }
    meet(peer, at: endpoint, now: now, out: &out)
  }

  /// Opens this host's NAT towards `peer` at `endpoint` now and dials it `punchDialDelay`
  /// later (see the type's comment), as a gossip dial: a few attempts, never saved.
  mutating func meet(
    _ peer: PeerID, at endpoint: Endpoint, now: MeshInstant, out: inout some EngineOutput
  ) {
    let draw = random.uniform(HandshakeRetry.jitterDrawBound)
    if punches[peer] == nil { punches[peer] = PunchState(now: now, jitterDraw: draw) }
    punches[peer]?.join(now: now, endpoint: endpoint, jitterDraw: draw)
    sendOpener(to: endpoint, out: &out)
    if dials[endpoint] == nil {
      dials[endpoint] = DialState(endpoint: endpoint, now: now)
      dials[endpoint]?.learnedFrom = peer
    }
    dials[endpoint]?.punch = true
    // A fresh round gets a gossip dial's few attempts anew; an operator's dial keeps its count.
    if dials[endpoint]?.learnedFrom != nil { dials[endpoint]?.attempts = 0 }
    dials[endpoint]?.retry.nextAttempt = now.adding(seconds: MeshEngine.punchDialDelay)
  }
}

extension MeshEngine {
  /// Notes when each member's path turned direct or relayed (for status), reporting each
  /// change as a `pathChanged` event.
  mutating func notePathChanges(now: MeshInstant, out: inout some EngineOutput) {
    var seen: Set<PeerID> = []
    for record in gossiper.topology.records.values where record.id != id && !record.departed {
      seen.insert(record.id)
      guard let hop = nextHop(to: record.id) else { continue }
      let direct = hop == record.id
      if let old = pathSince[record.id], old.direct == direct { continue }
      let known = pathSince[record.id] != nil
      pathSince[record.id] = (direct, now)
      guard known || direct else { continue }
      let path: String
      if direct, let p = peers[record.id] {
        path = "\(p.punched ? "punched" : "direct") at \(p.endpoint)"
      } else {
        let via = gossiper.topology[hop]?.nickname ?? ""
        path = "relayed via \(DisplayText.escaped(via)) (\(hop))"
      }
      out.event(.pathChanged(record.id, nickname: record.nickname, path: path))
    }
    for id in pathSince.keys where !seen.contains(id) { pathSince[id] = nil }
  }
}
