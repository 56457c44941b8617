import MeshTypes

/// The decisions of `meshd docker-opts --wait`: ask the daemon, and while it cannot answer yet
/// (not started, or its subnet claim pending) ask again until a deadline. Pure: the caller asks,
/// sleeps and prints; each answer goes through ``next(_:now:)``.
public struct DockerOptionsWait: Sendable {
  /// What one attempt found.
  public enum Outcome: Sendable, Equatable {
    /// The daemon gave the options.
    case options(DockerOptions)
    /// The daemon runs with IPAM and has not claimed its subnet yet.
    case claimPending
    /// The subnet is settled but the DNS server is not listening on the bridge address yet
    /// (Docker's `--dns` needs it).
    case dnsPending
    /// The daemon could not be asked (its socket is missing, or it did not answer); the text
    /// says why.
    case unreachable(String)
    /// An answer that waiting cannot change (no IPAM, a malformed status); the text says why.
    case failed(String)
  }

  /// What to do next.
  public enum Decision: Sendable, Equatable {
    /// Print the options and succeed.
    case done(DockerOptions)
    /// Ask again after `seconds`; print `note` (on stderr) first when there is one.
    case retry(after: Double, note: String?)
    /// Give up with this one-line error.
    case fail(String)
  }

  /// How long to wait in all, in seconds.
  public let timeout: Double
  /// The pause between attempts, in seconds.
  public let interval: Double
  private let start: MeshInstant
  private var lastNote: String?

  /// A wait that began at `start` and gives up `timeout` seconds later.
  public init(timeout: Double, start: MeshInstant, interval: Double = 0.2) {
    precondition(timeout >= 0 && interval > 0, "timeout and interval must be positive")
    self.timeout = timeout
    self.start = start
    self.interval = interval
  }

  /// The decision after an attempt that found `outcome` at `now`. A note is given once per
  /// change of reason, so a long wait prints two or three lines, not one per attempt.
  public mutating func next(_ outcome: Outcome, now: MeshInstant) -> Decision {
    let note: String
    switch outcome {
    case .options(let opts): return .done(opts)
    case .failed(let why): return .fail(why)
    case .claimPending: note = "claim pending: waiting for meshd to claim this host's subnet"
    case .dnsPending: note = "waiting for meshd's DNS server to listen on the bridge address"
    case .unreachable(let why): note = "waiting for meshd: \(why)"
    }
    let waited = now.seconds(since: start)
    guard waited + interval <= timeout else {
      let seconds = timeout == timeout.rounded() ? "\(Int(timeout))" : "\(timeout)"
      switch outcome {
      case .claimPending:
        return .fail(
          "timed out after \(seconds) s: meshd has not claimed its subnet (claim pending)")
      case .dnsPending:
        return .fail(
          "timed out after \(seconds) s: meshd's DNS server does not listen on the bridge yet")
      case .unreachable(let why):
        return .fail("timed out after \(seconds) s: \(why)")
      default:
        preconditionFailure("only waiting outcomes get here")
      }
    }
    defer { lastNote = note }
    return .retry(after: interval, note: note == lastNote ? nil : note)
  }
}
