import MeshTypes

/// Another endpoint of a peer with a session up, probed now and then inside the session
/// (`InnerKind.endpointProbe`) to learn whether it answers and how fast: what path choice
/// goes by.
struct EndpointCandidate: Sendable, Equatable {
  /// The endpoint.
  var endpoint: Endpoint
  /// The probe in flight and when it left.
  var pendingProbe: UInt32?
  var sentAt: MeshInstant?
  /// The last round trip measured, in seconds; nil until the endpoint answered.
  var roundTrip: Double?
  /// When it last answered.
  var lastAnswer: MeshInstant?

  /// Whether `self` is a better path than `current` (whose round trip is `currentRTT`): it
  /// answered recently, and is clearly faster, or about as fast and private (same site) while
  /// the current one is not.
  func isBetter(than current: Endpoint, currentRTT: Double?, now: MeshInstant) -> Bool {
    guard let rtt = roundTrip, let answered = lastAnswer,
      now.seconds(since: answered) < EndpointCandidate.freshness
    else { return false }
    guard let currentRTT else { return true }
    if rtt < currentRTT * 0.5 && currentRTT - rtt > 0.001 { return true }
    let comparable = rtt <= currentRTT * 1.5 + 0.002
    return comparable && endpoint.isPrivate && !current.isPrivate
  }

  /// Whether a probe is out and its answer may still come (`answerWait`).
  func isAwaitingAnswer(now: MeshInstant) -> Bool {
    guard pendingProbe != nil, let sentAt else { return false }
    return now.seconds(since: sentAt) < EndpointCandidate.answerWait
  }

  /// How long a round waits for the current path's answer before the candidates that
  /// answered are compared without it, in seconds: far above any round trip between sites.
  static let answerWait = 1.0
  /// How long an answer counts, in seconds: two probe rounds.
  static let freshness = 2 * probeInterval + 5
  /// How often a peer's other endpoints are probed while its session is up, in seconds:
  /// rarely, never a loop of handshakes.
  static let probeInterval = 60.0
  /// The first round after a session comes up waits this long, in seconds, so that gossip
  /// has brought the peer's record.
  static let firstProbeDelay = 2.0
}
