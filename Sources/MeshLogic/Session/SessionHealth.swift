import MeshTypes

/// What the timers make of a peer's sessions at one instant: whether the peer can still be
/// reported up and whether a handshake of our own is wanted. Computed by `assess` from the
/// sessions alone; `PeerPhase.advance(_:now:)` turns it into the peer's next phase.
enum SessionHealth: Sendable, Equatable {
  /// The sending session is young and answered: nothing to do.
  case fresh
  /// The sending session works but is due for replacement (old enough, or too many messages
  /// sent on it): a handshake is wanted, the peer stays up.
  case dueForRekey
  /// We keep talking on the sending session and the peer has not answered for the dead-peer
  /// timeout: it is gone or restarted. The peer goes down and a handshake is wanted.
  case unanswered
  /// No sending session, but we answered the peer's handshake moments ago: give the initiator
  /// time to confirm before starting our own.
  case awaitingConfirmation
  /// No usable session: the peer goes down and a handshake is wanted.
  case noSession

  /// Whether the peer needs a handshake of ours.
  var wantsHandshake: Bool {
    switch self {
    case .fresh, .awaitingConfirmation: false
    case .dueForRekey, .unanswered, .noSession: true
    }
  }

  /// Whether a peer reported up must now be reported down.
  var isDown: Bool {
    switch self {
    case .fresh, .dueForRekey, .awaitingConfirmation: false
    case .unanswered, .noSession: true
    }
  }

  /// The health of a peer whose sending session is `current` and whose answered but
  /// unconfirmed session is `next`, having last heard from it at `lastReceived`.
  static func assess(
    current: Keypair?, next: Keypair?, lastReceived: MeshInstant, now: MeshInstant,
    timers t: SessionTimers
  ) -> SessionHealth {
    if let k = current {
      // A dead peer overrides a due rekey: both want a handshake, only this one goes down.
      if now.seconds(since: lastReceived) >= t.deadPeerTimeout { return .unanswered }
      let age = k.age(now)
      let rekeyAge = k.isInitiator ? t.rekeyAfterTime : t.responderRekeyAfterTime
      if age >= rekeyAge || k.sendCounter >= t.rekeyAfterMessages { return .dueForRekey }
      return .fresh
    }
    if let n = next, n.age(now) < t.rekeyTimeout { return .awaitingConfirmation }
    return .noSession
  }
}
