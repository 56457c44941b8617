import MeshTypes

/// Two live hosts answering for one static key (a cloned VM, a copied state directory), as
/// one host sees them: the endpoint it keeps and the one it refuses while the hold lasts.
///
/// Detected when a peer's endpoint flips back to where it just was, each side on a session of
/// its own (see `MeshEngine.moveEndpoint`). Without the hold the two clones take turns: every
/// handshake or datagram from the other moves the endpoint, and each clone loses what was
/// meant for it. With it, the endpoint that held the session first keeps working.
public struct DuplicateKey: Sendable, Equatable {
  /// The endpoint that held the key's session first; traffic keeps going there.
  public var kept: Endpoint
  /// The other host's endpoint; its handshakes and datagrams are dropped during the hold.
  public var refused: Endpoint
  /// When the duplicate was detected.
  public var detected: MeshInstant
  /// When the hold ends unless the refused endpoint tries again (each try renews it).
  var holdUntil: MeshInstant
  /// Messages refused since the last warning, and when the last warning went out.
  var unreported: UInt64 = 0
  var lastReport: MeshInstant

  /// A duplicate detected at `now`, held for `hold` seconds.
  init(kept: Endpoint, refused: Endpoint, now: MeshInstant, hold: Double) {
    self.kept = kept
    self.refused = refused
    self.detected = now
    self.holdUntil = now.adding(seconds: hold)
    self.lastReport = now
  }

  /// Whether the hold still stands at `now`.
  func isHolding(_ now: MeshInstant) -> Bool { now < holdUntil }
}

/// The last time a peer's endpoint moved: where from, and on which session the peer was
/// heard there. Two moves that undo each other with different sessions reveal a duplicate key.
struct EndpointMove: Sendable {
  /// The endpoint the peer left.
  var from: Endpoint
  /// The session last heard from that endpoint.
  var session: UInt32?
  /// When it moved.
  var at: MeshInstant
}
