import MeshProtocol
import MeshTypes

/// This host's end-to-end sessions with one member it reaches only through relays.
///
/// Frames for a member with no session of its own go through the hosts on the route, and
/// each of those opened and sealed them again (relayed frames, inner kinds 2 and 6). An
/// end-to-end session is a handshake with the member itself, carried through the relays in
/// forwarded datagrams (type 5): its transport messages are sealed for the far end only, and
/// the relays pass them on by an index and a hop tag without decrypting. A relay then neither
/// reads the frames nor spends a cipher pass on them, and the far end knows who sent each
/// frame from the key that sealed it, not from what a relay wrote.
///
/// The relayed frames stay the fallback: a frame goes end to end only while a confirmed,
/// unexpired session exists and fits the first hop's path; otherwise it is relayed as before
/// and, when it may, this host starts a handshake (`wantsHandshake`).
struct EndToEndLink {
  /// The session frames are sealed with: ours from an answered initiation, or the far end's
  /// once its first message confirmed it.
  var current: UInt32?
  /// The session before `current`, kept for messages still on their way.
  var previous: UInt32?
  /// A session this host answered, until the initiator's first message confirms it.
  var unconfirmed: UInt32?
  /// Our initiation in flight: its index, its Noise state, and when it left.
  var pending: (index: UInt32, handshake: HandshakeState, sent: MeshInstant)?
  /// When this host last started a handshake with the member.
  var lastAttempt: MeshInstant?
  /// Initiations sent since a session last came up, for the retry backoff.
  var attempts = 0
  /// The greatest timestamp of the member's initiations this host answered (replay guard).
  var lastInitiationTimestamp: UInt64 = 0
  /// Whether the member takes offloaded frames (its last handshake payload's flag bit 0).
  var acceptsOffload = false
  /// What the initiation behind `unconfirmed` said, kept until it is confirmed: its
  /// timestamp, its offload flag, and when it was answered.
  var unconfirmedTimestamp: UInt64 = 0
  var unconfirmedAcceptsOffload = false
  var unconfirmedSince = MeshInstant(nanoseconds: 0)
  /// Frames sent and received end to end, for the status.
  var txFrames: UInt64 = 0
  var rxFrames: UInt64 = 0

  /// The least wait between two handshakes this host starts, in seconds.
  static let retryInterval = 5.0
  /// The longest wait between two handshakes that got no answer, in seconds: a route through
  /// a host on an older version never answers.
  static let maxRetryInterval = 60.0

  /// Whether a handshake may start now: there is no session in use (`age` nil), or it is due
  /// for a rekey, and the last attempt is far enough back (5 s, doubling while unanswered).
  func wantsHandshake(
    age: Double?, isInitiator: Bool, sent: UInt64, now: MeshInstant, timers: SessionTimers
  ) -> Bool {
    if let age {
      let due = isInitiator ? timers.rekeyAfterTime : timers.responderRekeyAfterTime
      guard age >= due || sent >= timers.rekeyAfterMessages else { return false }
    }
    guard let last = lastAttempt else { return true }
    let backoff = EndToEndLink.retryInterval * Double(1 << min(max(attempts - 1, 0), 4))
    return now.seconds(since: last) >= min(backoff, EndToEndLink.maxRetryInterval)
  }

  /// Makes `index` the session frames are sealed with; returns the session it pushes out,
  /// whose keys the caller discards.
  mutating func install(_ index: UInt32) -> UInt32? {
    let old = previous
    previous = current
    current = index
    attempts = 0
    return old
  }

  /// Forgets the session `index` wherever the link holds it.
  mutating func forget(_ index: UInt32) {
    if current == index { current = nil }
    if previous == index { previous = nil }
    if unconfirmed == index { unconfirmed = nil }
  }

  /// The local indexes of every session the link holds.
  var indexes: [UInt32] { [current, previous, unconfirmed].compactMap { $0 } }
}
