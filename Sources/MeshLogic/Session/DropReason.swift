/// Why an incoming datagram or frame was dropped. Every drop is counted under one reason, so an
/// operator can tell an attack (mac1, malformed) from a fault (expired keys, TAP down).
public enum DropReason: Int, CaseIterable, Sendable, CustomStringConvertible {
  /// The datagram did not parse: wrong size, unknown type, nonzero reserved bytes.
  case malformed
  /// A handshake message whose mac1 did not verify: not a member of the cluster.
  case mac1
  /// A handshake message that failed Noise processing (wrong secret, corrupt, low-order key).
  case handshakeFailed
  /// An initiation whose timestamp was not newer than the last one seen from that key.
  case replayedInitiation
  /// A peer refused by the allow-list.
  case notAllowed
  /// A response or transport message for an index we do not hold.
  case unknownIndex
  /// A transport message that did not authenticate.
  case authentication
  /// A transport message whose counter was already seen or is too old.
  case replay
  /// A transport message on a session past its reject time.
  case expiredKeys
  /// A decrypted message whose inner content did not parse.
  case malformedInner
  /// A frame with no established session to send it over.
  case noSession
  /// A frame addressed to an IEEE link-local control group (STP, LACP, 802.1X).
  case linkLocal
  /// A frame that came back to the host it started from (its relay origin is this host).
  case loop
  /// A frame that could not be written to the TAP (link down).
  case tapWrite
  /// A datagram the socket refused to send.
  case sendFailed
  /// A handshake dropped by the per-source rate limit.
  case rateLimited
  /// A handshake dropped because the handshake queue was full.
  case handshakeQueueFull
  /// A handshake answered with a cookie instead of a response (we were under load).
  case cookieRequired
  /// A relayed frame whose hop limit ran out.
  case hopLimit
  /// A frame for a host with no route to it.
  case noRoute
  /// An offloaded frame for a peer that cannot take one.
  case offloadUnsupported
  /// A frame from a remote host whose source MAC it does not own: one that lives on this
  /// host's bridge or belongs to another host (a forged source, or two hosts with one MAC).
  case macConflict
  /// A handshake or datagram from a second host using a peer's key (see `DuplicateKey`),
  /// refused while the first host holds the key's endpoint.
  case duplicateKey
  /// A message arriving in pieces that lost its reassembly slot before it was whole (its
  /// peer started too many at once, or it waited past `PieceReassembly.maxAge`).
  case reassemblyEvicted
  /// A forwarded datagram larger than the next hop's path takes whole.
  case forwardTooLarge

  /// The snake_case name used in status output and metrics.
  public var description: String {
    switch self {
    case .malformed: "malformed"
    case .mac1: "mac1"
    case .handshakeFailed: "handshake_failed"
    case .replayedInitiation: "replayed_initiation"
    case .notAllowed: "not_allowed"
    case .unknownIndex: "unknown_index"
    case .authentication: "auth"
    case .replay: "replay"
    case .expiredKeys: "expired_keys"
    case .malformedInner: "malformed_inner"
    case .noSession: "no_session"
    case .linkLocal: "link_local"
    case .loop: "loop"
    case .tapWrite: "tap_write"
    case .sendFailed: "send_failed"
    case .rateLimited: "rate_limited"
    case .handshakeQueueFull: "handshake_queue_full"
    case .cookieRequired: "cookie_required"
    case .hopLimit: "hop_limit"
    case .noRoute: "no_route"
    case .offloadUnsupported: "offload_unsupported"
    case .macConflict: "mac_conflict"
    case .duplicateKey: "duplicate_key"
    case .reassemblyEvicted: "reassembly_evicted"
    case .forwardTooLarge: "forward_too_large"
    }
  }
}

/// A fixed set of counters, one per `DropReason`. Incrementing never allocates.
public struct DropCounters: Sendable, Equatable {
  private var counts: [UInt64] = Array(repeating: 0, count: DropReason.allCases.count)

  /// All counters at zero.
  public init() {}

  /// The count for `reason`.
  public subscript(reason: DropReason) -> UInt64 {
    get { counts[reason.rawValue] }
    set { counts[reason.rawValue] = newValue }
  }

  /// Counts one drop.
  @inline(__always)
  public mutating func count(_ reason: DropReason) { counts[reason.rawValue] &+= 1 }

  /// The sum over every reason.
  public var total: UInt64 { counts.reduce(0, &+) }

  /// Non-zero counters by name, in declaration order.
  public var nonZero: [(DropReason, UInt64)] {
    DropReason.allCases.compactMap { counts[$0.rawValue] > 0 ? ($0, counts[$0.rawValue]) : nil }
  }
}

extension DropCounters {
  /// The counter-wise sum of two sets of counters.
  public func adding(_ other: DropCounters) -> DropCounters {
    var sum = self
    for r in DropReason.allCases { sum[r] = self[r] &+ other[r] }
    return sum
  }
}
