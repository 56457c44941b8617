import Foundation

/// Starts a Foundation `Process` so that the child gets a clean signal mask.
///
/// Swift's concurrency and dispatch worker threads block most signals, and
/// swift-corelibs-foundation spawns the child from the calling thread without resetting the
/// mask, so a child would start with SIGTERM and SIGINT blocked: a daemon could never be asked
/// to stop. This unblocks every signal in the calling thread just around the spawn.
enum ChildLauncher {
  /// Runs `process` with all signals unblocked in the child.
  static func run(_ process: Process) throws {
    var empty = sigset_t()
    var saved = sigset_t()
    sigemptyset(&empty)
    pthread_sigmask(SIG_SETMASK, &empty, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try process.run()
  }
}
