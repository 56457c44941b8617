import MeshProtocol
import MeshTypes

/// Hole punching through a common member. A host that learns of a member it has no session
/// with, but which has a session with one of its own neighbours, sends each of the member's
/// endpoints an opener that crosses only a few routers (it opens this host's NAT towards the
/// member and dies before the member's NAT, where a stray datagram would make that NAT remap
/// the member's answer), then asks the neighbour to pass the request on; the neighbour tells
/// the member where it sees this host, and the member dials it at once, through the hole.
/// Both ends do this, so either direction may open the path. A NAT that maps every
/// destination to a new port (symmetric) defeats it: the pair stays relayed.
extension MeshEngine {
  /// How often, in seconds, a host retries punching towards one member it has no session with.
  public static let punchInterval = 30.0

  /// Starts a punch towards every member that is due one; run from `tick`.
  mutating func tickPunch(now: MeshInstant, out: inout some EngineOutput) {
    if let last = lastPunchScan, now.seconds(since: last) < 1 { return }
    lastPunchScan = now
    notePathChanges(now: now, out: &out)
    for record in gossiper.topology.records.values {
      punchIfDue(record.id, now: now, out: &out)
    }
    if punchAttempts.count > MeshLimits.maxPeers {
      punchAttempts = punchAttempts.filter {
        now.seconds(since: $0.value) < MeshEngine.punchInterval
      }
    }
  }

  /// Punches towards `member` when it has no session with this host, one with a neighbour of
  /// this host, and no punch was tried in the last `punchInterval`.
  mutating func punchIfDue(_ member: PeerID, now: MeshInstant, out: inout some EngineOutput) {
    guard member != id, let record = gossiper.topology[member], !record.departed,
      peers[member]?.isUp != true
    else { return }
    if let last = punchAttempts[member], now.seconds(since: last) < MeshEngine.punchInterval {
      return
    }
    guard
      let via = record.connections.first(where: {
        $0 != id && peers[$0]?.isUp == true && peers[$0]?.current != nil
      })
    else { return }
    punch(member, endpoints: record.endpoints, via: via, now: now, out: &out)
  }

  /// Opens this host's NAT towards `peer`'s endpoints and asks `via` to have it dial here.
  mutating func punch(
    _ peer: PeerID, endpoints: [Endpoint], via: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    punchAttempts[peer] = now
    // Four bytes no receiver takes for a message: harmless if the opener does arrive.
    let opener: [UInt8] = [0xFF, 0, 0, 0]
    for endpoint in endpoints.prefix(WireLimits.maxEndpoints)
    where endpoint.isAnnounceable && !selfEndpoints.contains(endpoint) {
      opener.withUnsafeBytes {
        out.sendLimited($0, to: endpoint, hopLimit: configuration.punchOpenerHopLimit)
      }
    }
    sendPunchRequest(about: peer, endpoint: nil, to: via, now: now, out: &out)
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
  /// on to `peer` (with where this host sees `from`); with one, it asks this host to dial
  /// `peer` there now.
  mutating func receivePunchRequest(
    about peer: PeerID, endpoint: Endpoint?, from neighbour: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let endpoint else {
      guard peer != id, peers[peer]?.isUp == true, let seen = peers[neighbour]?.endpoint,
        takeGossipDialToken(now: now)
      else { return }
      return sendPunchRequest(about: neighbour, endpoint: seen, to: peer, now: now, out: &out)
    }
    guard peer != id, peers[peer]?.isUp != true, !endpoint.isUnspecified,
      !selfEndpoints.contains(endpoint), takeGossipDialToken(now: now)
    else { return }
    punchAttempts[peer] = punchAttempts[peer] ?? now
    if dials[endpoint] == nil {
      dials[endpoint] = DialState(endpoint: endpoint, now: now)
      dials[endpoint]?.learnedFrom = peer
    }
    dials[endpoint]?.punch = true
    dials[endpoint]?.attempts += 1
    initiate(.dial(endpoint), now: now, out: &out)
    let draw = random.uniform(HandshakeRetry.jitterDrawBound)
    guard var dial = dials[endpoint] else { return }
    let cap = dialCap(for: dial)
    dial.retry.scheduleAfterDialAttempt(
      now: now, timers: configuration.timers, cap: cap, jitterDraw: draw)
    dials[endpoint] = dial
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
