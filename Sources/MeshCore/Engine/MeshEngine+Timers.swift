/// Timers: handshake retries with jitter and backoff, rekeying, keepalives, dead-peer
/// detection, key expiry. All driven by `tick`, with the time given by the caller.
extension MeshEngine {
  /// How often the engine wants `tick` called at the least.
  public static let tickInterval = 0.1

  /// Runs every timer that is due at `now`.
  public mutating func tick(now: MeshInstant, out: inout some EngineOutput) {
    let timers = configuration.timers
    processHandshakes(now: now, out: &out)
    for ep in Array(dials.keys) {
      guard let d = dials[ep], now >= d.nextAttempt else { continue }
      initiate(.dial(ep), now: now, out: &out)
      var next = d
      next.pendingInitiation = dials[ep]?.pendingInitiation
      next.nextAttempt = now.adding(
        seconds: dialDelay(backoff: &next.backoff, cap: dialCap(for: d)))
      dials[ep] = next
    }
    for id in Array(peers.keys) { tickPeer(id, now: now, timers: timers, out: &out) }
    tickIPAM(now: now, out: &out)
    tickGossip(now: now, out: &out)
    if lastHousekeeping.map({ now.seconds(since: $0) >= 10 }) ?? true {
      lastHousekeeping = now
      macTable.expire(now: now)
      rateLimiter.expire(now: now)
      cookies = cookies.filter {
        now.seconds(since: $0.value.received) < CookieChecker.secretLifetime
      }
      for (i, p) in initiations where now.seconds(since: p.sent) > timers.rekeyAttemptTime {
        initiations[i] = nil
      }
    }
  }

  mutating func tickPeer(
    _ id: PeerID, now: MeshInstant, timers: SessionTimers, out: inout some EngineOutput
  ) {
    guard var p = peers[id] else { return }
    // Sessions past their reject time are gone; with none left the peer is down.
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
    var wantHandshake = false
    if let i = p.current, let k = keypairs[i] {
      let age = k.age(now)
      if k.isInitiator ? age >= timers.rekeyAfterTime : age >= timers.responderRekeyAfterTime {
        wantHandshake = true
      }
      if k.sendCounter >= timers.rekeyAfterMessages { wantHandshake = true }
      // We keep talking, the peer does not answer: it is gone or restarted.
      if now.seconds(since: p.lastReceived) >= timers.deadPeerTimeout {
        wantHandshake = true
        if p.isUp {
          p.isUp = false
          localRecordDirty = true
          out.event(.peerDown(id))
        }
      }
      // A peer found dead comes back only through a new handshake. Its old session may carry
      // data again first (a healed partition): that refreshes `lastReceived`, so without this
      // neither side would find the peer dead again, and it would stay down for good.
      if !p.isUp { wantHandshake = true }
    } else if let n = p.next, let k = keypairs[n], k.age(now) < timers.rekeyTimeout {
      // We answered the peer's handshake; give it time to confirm before starting our own.
    } else {
      wantHandshake = true
      if p.isUp {
        p.isUp = false
        localRecordDirty = true
        out.event(.peerDown(id))
      }
    }
    peers[id] = p
    if wantHandshake {
      if p.attemptsStarted == nil {
        p.attemptsStarted = now
        p.nextAttempt = now
      }
      if let due = p.nextAttempt, now >= due {
        var backoff = p.backoff
        let delay = retryDelay(
          started: p.attemptsStarted!, backoff: &backoff, now: now, cap: peerCap(id))
        peers[id]?.attemptsStarted = p.attemptsStarted
        peers[id]?.backoff = backoff
        peers[id]?.nextAttempt = now.adding(seconds: delay)
        initiate(.peer(id), now: now, out: &out)
      } else {
        peers[id]?.attemptsStarted = p.attemptsStarted
        peers[id]?.nextAttempt = p.nextAttempt
      }
    }
    // A live session carries at least one message per keepalive interval each way, so that
    // both ends can tell a dead peer from a quiet one.
    if let q = peers[id], q.current != nil,
      now.seconds(since: q.lastSent) >= timers.keepaliveTimeout
    {
      sendKeepalive(to: id, now: now, out: &out)
    }
  }

  /// The wait before the next attempt at an endpoint whose host we do not know yet: from
  /// `dialInitialDelay`, doubling up to the cap, with up to a third more as jitter so that
  /// hosts restarted together do not retry in step.
  mutating func dialDelay(backoff: inout Double, cap: Double) -> Double {
    let t = configuration.timers
    backoff = backoff == 0 ? t.dialInitialDelay : min(cap, backoff * 2)
    return backoff * (1 + Double(random.uniform(1000)) / 3000)
  }

  /// How far a dial's backoff may grow: the full cap for an endpoint nobody vouches for, but
  /// only `liveDialCap` for a host that gossip shows connected to others right now. Such a
  /// host is up; a lost attempt (a full queue somewhere on the way) should not cost minutes.
  func dialCap(for dial: DialState) -> Double {
    let t = configuration.timers
    guard let id = dial.learnedFrom, let record = gossiper.topology[id], !record.departed,
      !record.connections.isEmpty
    else { return t.maxRetryInterval }
    return min(t.maxRetryInterval, t.liveDialCap)
  }

  /// The backoff cap for a known peer: short while gossip shows it connected to others.
  func peerCap(_ id: PeerID) -> Double {
    let t = configuration.timers
    guard let record = gossiper.topology[id], !record.departed, !record.connections.isEmpty,
      record.connections != [self.id]
    else { return t.maxRetryInterval }
    return max(t.rekeyTimeout * 2, min(t.maxRetryInterval, t.liveDialCap))
  }

  /// The wait before the next handshake attempt: the rekey timeout plus jitter while the
  /// attempts are young, then doubling up to the cap, so an absent peer costs little but is
  /// never given up on.
  mutating func retryDelay(
    started: MeshInstant, backoff: inout Double, now: MeshInstant, cap: Double
  ) -> Double {
    let t = configuration.timers
    let jitter = Double(random.uniform(1000)) / 1000 * t.rekeyJitter
    if now.seconds(since: started) < t.rekeyAttemptTime { return t.rekeyTimeout + jitter }
    backoff = backoff == 0 ? t.rekeyTimeout * 2 : min(cap, backoff * 2)
    return backoff + jitter
  }
}
