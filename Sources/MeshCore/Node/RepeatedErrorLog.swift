import MeshTypes

/// A rate limit for the log lines of I/O errors that can repeat on every packet: the first
/// error of a kind in a minute is logged at once, the rest only counted, and when the minute
/// is over one line says how often it happened ("TAP write failed: … (N times in the last
/// minute)"). So no failure writes more than two lines per kind and minute, however fast it
/// repeats.
///
/// A value type with no clock of its own: ``note(_:_:)`` runs on the per-packet path and
/// only counts; ``summaries(now:)`` runs on the loop's timer turn with the loop's clock.
struct RepeatedErrorLog {
  /// The kinds of errors limited, each counted on its own.
  enum Kind: Int, CaseIterable {
    /// Reading the TAP.
    case tapRead
    /// Writing the TAP.
    case tapWrite
    /// Sending on a socket.
    case socketSend
    /// Receiving on a socket.
    case socketReceive
    /// Reading link notifications.
    case linkEvents
  }

  /// The length of a window, in seconds.
  static let window = 60.0

  /// When the current window began; nil until the first error.
  private(set) var windowStart: MeshInstant?
  /// The first message of each kind in the window (empty: none yet).
  private var first = [String](repeating: "", count: Kind.allCases.count)
  /// How many errors of each kind the window saw.
  private var counts = [Int](repeating: 0, count: Kind.allCases.count)

  /// An empty log.
  init() {}

  /// How many errors of `kind` the current window saw.
  func count(_ kind: Kind) -> Int { counts[kind.rawValue] }

  /// Counts one error of `kind` and returns the line to log now: `message()` for the first
  /// of its kind in the window, nil for the others (the message is not even built).
  mutating func note(_ kind: Kind, _ message: @autoclosure () -> String) -> String? {
    counts[kind.rawValue] += 1
    guard counts[kind.rawValue] == 1 else { return nil }
    let text = message()
    first[kind.rawValue] = text
    return text
  }

  /// Starts a new window when the current one is over, and returns one line for each kind
  /// that repeated in it, with its count. Call it on every timer turn.
  mutating func summaries(now: MeshInstant) -> [(kind: Kind, line: String)] {
    guard let start = windowStart else {
      if counts.contains(where: { $0 > 0 }) { windowStart = now }
      return []
    }
    guard now >= start.adding(seconds: RepeatedErrorLog.window) else { return [] }
    var lines: [(kind: Kind, line: String)] = []
    for kind in Kind.allCases where counts[kind.rawValue] > 1 {
      lines.append(
        (kind, "\(first[kind.rawValue]) (\(counts[kind.rawValue]) times in the last minute)"))
    }
    for i in counts.indices {
      counts[i] = 0
      first[i] = ""
    }
    windowStart = nil
    return lines
  }
}
