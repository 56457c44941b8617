import MeshTypes

/// Timers: handshake retries with jitter and backoff, rekeying, keepalives, dead-peer
/// detection, key expiry. All driven by `tick`, with the time given by the caller.
extension MeshEngine {
  /// How often the engine wants `tick` called at the least.
  public static let tickInterval = 0.1

  /// Runs every timer that is due at `now`.
  public mutating func tick(now: MeshInstant, out: inout some EngineOutput) {
    let timers = configuration.timers
    processHandshakes(now: now, out: &out)
    for ep in Array(dials.keys) { tickDial(ep, now: now, out: &out) }
    for id in Array(peers.keys) { tickPeer(id, now: now, timers: timers, out: &out) }
    tickIPAM(now: now, out: &out)
    tickNames(now: now, out: &out)
    tickPunch(now: now, out: &out)
    tickGossip(now: now, out: &out)
    if lastHousekeeping.map({ now.seconds(since: $0) >= 10 }) ?? true {
      lastHousekeeping = now
      macTable.expire(now: now)
      rateLimiter.expire(now: now)
      handshakeRefusals.expire(now: now)
      expirePendingResponses(now: now)
      expireEndToEnd(now: now)
      endToEndLimiter.expire(now: now)
      retireGhosts(out: &out)
      cookies = cookies.filter {
        now.seconds(since: $0.value.received) < CookieChecker.secretLifetime
      }
      for (i, p) in initiations where now.seconds(since: p.sent) > timers.rekeyAttemptTime {
        initiations[i] = nil
      }
    }
  }

  /// Makes the next attempt at an endpoint being dialled, when it is due.
  mutating func tickDial(_ endpoint: Endpoint, now: MeshInstant, out: inout some EngineOutput) {
    guard let dial = dials[endpoint], dial.retry.isDue(now) else { return }
    let timers = configuration.timers
    let cap = dialCap(for: dial)
    if dial.learnedFrom != nil {
      guard dial.attempts < MeshLimits.maxGossipDialAttempts else {
        return giveUpGossipDial(endpoint, now: now)
      }
      guard takeGossipDialToken(now: now) else {
        dials[endpoint]?.retry.nextAttempt = now.adding(
          seconds: 1 / MeshLimits.gossipDialsPerSecond)
        return
      }
    } else if !dial.expired, dial.attempts >= configuration.deadEndpointAttempts,
      now.seconds(since: dial.started) >= configuration.deadEndpointAge
    {
      // An operator's endpoint that never answered (a typo, a host long gone): still dialled,
      // but no longer saved, so it does not outlive the next restart.
      dials[endpoint]?.expired = true
      endpointsVersion &+= 1
      out.event(.endpointExpired(endpoint))
    }
    dials[endpoint]?.attempts += 1
    // An operator's endpoint that has not answered yet: its attempts are saved (known peers).
    if dial.learnedFrom == nil, !dial.expired { endpointsVersion &+= 1 }
    initiate(.dial(endpoint), now: now, out: &out)
    let draw = random.uniform(HandshakeRetry.jitterDrawBound)
    dials[endpoint]?.retry.scheduleAfterDialAttempt(
      now: now, timers: timers, cap: cap, jitterDraw: draw)
  }

  /// Takes one attempt from the gossip dial budget, refilling it first; false when it is spent.
  mutating func takeGossipDialToken(now: MeshInstant) -> Bool {
    if let last = gossipDialRefill {
      gossipDialTokens = min(
        MeshLimits.gossipDialBurst,
        gossipDialTokens + now.seconds(since: last) * MeshLimits.gossipDialsPerSecond)
    }
    gossipDialRefill = now
    guard gossipDialTokens >= 1 else { return false }
    gossipDialTokens -= 1
    return true
  }

  /// Stops dialling a gossip-learned endpoint that never answered, and remembers it for a
  /// while so that gossip does not bring it straight back.
  mutating func giveUpGossipDial(_ endpoint: Endpoint, now: MeshInstant) {
    if let i = dials.removeValue(forKey: endpoint)?.pendingInitiation { initiations[i] = nil }
    if unansweredEndpoints.count >= MeshLimits.maxUnansweredEndpoints {
      unansweredEndpoints = unansweredEndpoints.filter {
        now.seconds(since: $0.value) < MeshLimits.unansweredEndpointMemory
      }
      if unansweredEndpoints.count >= MeshLimits.maxUnansweredEndpoints {
        unansweredEndpoints.removeAll()
      }
    }
    unansweredEndpoints[endpoint] = now
  }

  /// Runs one peer's timers, in four steps: drop expired sessions; judge what is left and move
  /// the peer's phase accordingly (reporting it down if it died); make a handshake attempt if
  /// the phase wants one and it is due; keep an idle session alive.
  mutating func tickPeer(
    _ id: PeerID, now: MeshInstant, timers: SessionTimers, out: inout some EngineOutput
  ) {
    guard peers[id] != nil else { return }
    expireSessions(of: id, now: now, timers: timers)
    let health = assessSessions(of: id, now: now, timers: timers)
    advancePhase(of: id, health: health, now: now, out: &out)
    if peers[id]?.phase.wantsHandshake(health) == true {
      attemptHandshakeIfDue(with: id, now: now, timers: timers, out: &out)
    }
    sendKeepaliveIfIdle(to: id, now: now, timers: timers, out: &out)
    tickPathMTU(of: id, now: now, out: &out)
    tickPaths(of: id, now: now, out: &out)
  }

  /// Drops the peer's sessions that are past their reject time, and all of its key material
  /// once no handshake has completed for `zeroKeysAfter`.
  mutating func expireSessions(of id: PeerID, now: MeshInstant, timers: SessionTimers) {
    guard var p = peers[id] else { return }
    for slot in [\PeerState.previous, \PeerState.current, \PeerState.next] {
      if let i = p[keyPath: slot], let k = keypairs[i], !k.isUsable(now, timers) {
        discardKeypair(i)
        p[keyPath: slot] = nil
      }
    }
    if let last = p.lastHandshake, now.seconds(since: last) >= timers.zeroKeysAfter {
      for i in p.sessionIndices { discardKeypair(i) }
      p.current = nil
      p.previous = nil
      p.next = nil
    }
    peers[id] = p
  }

  /// What the timers make of the peer's remaining sessions.
  func assessSessions(of id: PeerID, now: MeshInstant, timers: SessionTimers) -> SessionHealth {
    guard let p = peers[id] else { return .noSession }
    return SessionHealth.assess(
      current: p.current.flatMap { keypairs[$0] }, next: p.next.flatMap { keypairs[$0] },
      lastReceived: p.lastReceived, now: now, timers: timers)
  }

  /// Moves the peer's phase as `health` calls for; a peer that goes down leaves this host's
  /// record and is reported with `peerDown`.
  mutating func advancePhase(
    of id: PeerID, health: SessionHealth, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let change = peers[id]?.phase.advance(health, now: now) else { return }
    switch change {
    case .none: break
    case .wentDown:
      localRecordDirty = true
      // A chosen path that died: back to where a handshake last answered.
      if peers[id]?.chosenEndpoint != nil, let answered = peers[id]?.answeredEndpoint {
        peers[id]?.endpoint = answered
      }
      peers[id]?.chosenEndpoint = nil
      peers[id]?.candidates = []
      peers[id]?.nextProbeRound = nil
      let reason = MeshEngine.downReason(health, timers: configuration.timers)
      peers[id]?.attempts = 0
      peers[id]?.stateSince = now
      peers[id]?.lastError = reason
      out.event(.peerDown(id, nickname: peers[id]?.nickname ?? "", reason: reason))
    }
  }

  /// Why a peer whose sessions are in `health` went down, in words for logs and status.
  static func downReason(_ health: SessionHealth, timers: SessionTimers) -> String {
    switch health {
    case .unanswered:
      "no answer for \(Int(timers.deadPeerTimeout)) s (the host stopped, restarted or the path is cut)"
    default:
      "its session expired and no new handshake completed"
    }
  }

  /// Sends an initiation to the peer when its retry series says an attempt is due, and
  /// schedules the one after.
  mutating func attemptHandshakeIfDue(
    with id: PeerID, now: MeshInstant, timers: SessionTimers, out: inout some EngineOutput
  ) {
    guard var retry = peers[id]?.phase.retry, retry.isDue(now) else { return }
    let draw = random.uniform(HandshakeRetry.jitterDrawBound)
    retry.scheduleAfterPeerAttempt(now: now, timers: timers, cap: peerCap(id), jitterDraw: draw)
    peers[id]?.phase.retry = retry
    peers[id]?.attempts += 1
    initiate(.peer(id), now: now, out: &out)
  }

  /// A live session carries at least one message per keepalive interval each way, so that
  /// both ends can tell a dead peer from a quiet one.
  mutating func sendKeepaliveIfIdle(
    to id: PeerID, now: MeshInstant, timers: SessionTimers, out: inout some EngineOutput
  ) {
    guard let p = peers[id], p.current != nil,
      now.seconds(since: p.lastSent) >= timers.keepaliveTimeout
    else { return }
    sendKeepalive(to: id, now: now, out: &out)
  }

  /// How far a dial's backoff may grow: short for a host that gossip shows connected to others
  /// right now (see `HandshakeRetry.dialCap`).
  func dialCap(for dial: DialState) -> Double {
    var shownConnected = false
    if let id = dial.learnedFrom, let record = gossiper.topology[id] {
      shownConnected = !record.departed && !record.connections.isEmpty
    }
    return HandshakeRetry.dialCap(timers: configuration.timers, hostShownConnected: shownConnected)
  }

  /// The backoff cap for a known peer: short while gossip shows it connected to hosts other
  /// than this one (see `HandshakeRetry.peerCap`).
  func peerCap(_ id: PeerID) -> Double {
    var shownConnected = false
    if let record = gossiper.topology[id] {
      shownConnected =
        !record.departed && !record.connections.isEmpty && record.connections != [self.id]
    }
    return HandshakeRetry.peerCap(timers: configuration.timers, peerShownConnected: shownConnected)
  }
}
