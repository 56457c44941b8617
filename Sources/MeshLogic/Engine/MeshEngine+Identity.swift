import MeshTypes

/// Identities that go bad: a second live host with a peer's key (a clone), and a member whose
/// key is gone while its address answers with another key (a host restarted with a new key).
extension MeshEngine {
  /// At most one `duplicateKey` report per peer this often, in seconds.
  public static let duplicateKeyReportInterval = 60.0

  /// Moves `peer`'s endpoint to `source`, where an authenticated message on `session` came
  /// from; returns false when the move is refused because `source` is the second host of a
  /// duplicated key (the caller drops the message).
  ///
  /// A roaming peer moves once, on the session it already had. Two hosts with one key take
  /// turns, each on a session of its own: when the endpoint goes back to where it just was,
  /// within `duplicateKeyWindow`, on a different session from the one heard at the endpoint
  /// it leaves, this host keeps the endpoint that held the session first, drops the other's
  /// sessions and refuses that endpoint for `duplicateKeyHold`.
  mutating func moveEndpoint(
    of peer: PeerID, to source: Endpoint, session: UInt32?, now: MeshInstant,
    out: inout some EngineOutput
  ) -> Bool {
    guard var p = peers[peer] else { return true }
    if p.endpoint == source {
      if let session { p.endpointSession = session }
      peers[peer] = p
      return true
    }
    if var dup = p.duplicateKey {
      if dup.isHolding(now), source == dup.refused, keptEndpointAlive(p, now: now) {
        refuseDuplicate(&dup, peer: peer, now: now, out: &out)
        peers[peer]?.duplicateKey = dup
        return false
      }
      if !dup.isHolding(now) || !keptEndpointAlive(p, now: now) { p.duplicateKey = nil }
    }
    let flipsBack =
      p.lastMove.map {
        $0.from == source && now.seconds(since: $0.at) < configuration.duplicateKeyWindow
          && session != nil && session != p.endpointSession
      } ?? false
    let left = p.endpoint
    let leftSession = p.endpointSession
    p.lastMove = EndpointMove(from: left, session: leftSession, at: now)
    p.endpoint = source
    p.endpointSession = session
    if p.pathMTU.phase != .off { p.pathMTU = newPathMTU(towards: source) }
    if flipsBack {
      // `source` held the key first; the host at `left` is the clone. Its session goes, so
      // nothing more is sent under keys only it holds.
      for slot in [\PeerState.previous, \PeerState.current, \PeerState.next]
      where p[keyPath: slot] != nil && p[keyPath: slot] == leftSession {
        discardKeypair(p[keyPath: slot]!)
        p[keyPath: slot] = nil
      }
      if p.current == nil, let session, keypairs[session] != nil {
        p.current = session
        if p.previous == session { p.previous = nil }
      }
      p.duplicateKey = DuplicateKey(
        kept: source, refused: left, now: now, hold: configuration.duplicateKeyHold)
      p.drops.count(.duplicateKey)
      drops.count(.duplicateKey)
      out.event(.duplicateKey(peer, kept: source, refused: left, count: 1))
    }
    peers[peer] = p
    endpointsVersion &+= 1
    out.event(.endpointChanged(peer, source))
    if flipsBack { alertMembers(subject: peer, kept: source, refused: left, now: now, out: &out) }
    return true
  }

  /// Whether a handshake from `source` claiming `peer`'s key must be refused: `source` is the
  /// second host of a duplicated key and the hold stands. Counts and reports the refusal.
  mutating func refusesDuplicate(
    _ peer: PeerID, from source: Endpoint, now: MeshInstant, out: inout some EngineOutput
  ) -> Bool {
    guard let p = peers[peer], var dup = p.duplicateKey, source == dup.refused,
      dup.isHolding(now), keptEndpointAlive(p, now: now)
    else { return false }
    refuseDuplicate(&dup, peer: peer, now: now, out: &out)
    peers[peer]?.duplicateKey = dup
    return true
  }

  /// Counts one refused message, renews the hold (the clone is still there) and reports,
  /// rate-limited.
  mutating func refuseDuplicate(
    _ dup: inout DuplicateKey, peer: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    peers[peer]?.drops.count(.duplicateKey)
    drops.count(.duplicateKey)
    dup.holdUntil = now.adding(seconds: configuration.duplicateKeyHold)
    dup.unreported &+= 1
    if now.seconds(since: dup.lastReport) >= MeshEngine.duplicateKeyReportInterval {
      out.event(.duplicateKey(peer, kept: dup.kept, refused: dup.refused, count: dup.unreported))
      dup.unreported = 0
      dup.lastReport = now
      alertMembers(subject: peer, kept: dup.kept, refused: dup.refused, now: now, out: &out)
    }
  }

  /// Tells every member, through a signed gossip alert, that two live hosts use `subject`'s
  /// key: usually only this host sees both, and every host must report it.
  mutating func alertMembers(
    subject: PeerID, kept: Endpoint, refused: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let messages = gossiper.alert(
      subject: subject, kept: kept, refused: refused, now: now, wall: clock.wallNanoseconds())
    sendGossip(messages, now: now, out: &out)
  }

  /// Whether the kept endpoint still answers: when it falls silent the hold ends, so a host
  /// that really moved to the other address is followed.
  func keptEndpointAlive(_ p: PeerState, now: MeshInstant) -> Bool {
    now.seconds(since: p.lastReceived) < configuration.timers.deadPeerTimeout * 2
  }

  /// Retires every member other than `peer` last seen at `endpoint` that has no live
  /// session: the address answers with another key now, so the old key is gone (a host that
  /// restarted with a new key). Its dials stop and it is no longer saved.
  mutating func retireGhosts(
    at endpoint: Endpoint, answeredBy peer: PeerID, out: inout some EngineOutput
  ) {
    for (ghost, p) in peers where ghost != peer && p.endpoint == endpoint && !p.isUp {
      removePeer(ghost)
      out.event(.peerRetired(ghost, endpoint: endpoint, replacedBy: peer))
    }
  }

  /// Housekeeping: retires members left without a session at an endpoint where another
  /// member is up (the new key came up while the old one's session was still alive).
  mutating func retireGhosts(out: inout some EngineOutput) {
    var upAt: [Endpoint: PeerID] = [:]
    for (id, p) in peers where p.isUp { upAt[p.endpoint] = id }
    guard !upAt.isEmpty else { return }
    for (ghost, p) in peers where !p.isUp {
      if let live = upAt[p.endpoint], live != ghost {
        removePeer(ghost)
        out.event(.peerRetired(ghost, endpoint: p.endpoint, replacedBy: live))
      }
    }
  }
}
