import Foundation

/// Reads process state from `/proc`, independently of Foundation's `Process` bookkeeping.
///
/// swift-corelibs-foundation learns that a child exited when a socket inherited by the child
/// closes; a grandchild that keeps that descriptor (a shell's background job, say) hides the
/// exit, and `isRunning` stays true for a zombie. The harness checks `/proc` as well so that it
/// never waits forever for such a process.
enum ProcFS {
  /// Whether `pid` no longer runs: it does not exist or it is a zombie.
  static func hasExited(pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return true }
    let rest = stat[stat.index(after: close)...].drop { $0 == " " }
    return rest.first == "Z" || rest.first == "X"
  }
}
