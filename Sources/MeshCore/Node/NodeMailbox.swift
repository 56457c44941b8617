import MeshIO
import Synchronization

/// The data thread's mailbox: other threads post commands and wake it through an eventfd
/// that its poller watches.
///
/// Once the thread is done, ``close()`` hands back what is still queued and later posts are
/// refused, so that the caller answers them itself and nobody waits for a thread that is gone.
final class NodeMailbox: Sendable {
  private struct State {
    var commands: [NodeCommand] = []
    var open = true
  }

  private let state = Mutex(State())
  /// Readable while commands wait; the data thread's poller watches it.
  let notifier: EventNotifier

  /// Creates an open, empty mailbox.
  init() throws { notifier = try EventNotifier() }

  /// Queues `command` and wakes the data thread; false when the mailbox is closed.
  func post(_ command: NodeCommand) -> Bool {
    let accepted = state.withLock { s in
      if s.open { s.commands.append(command) }
      return s.open
    }
    if accepted { notifier.signal() }
    return accepted
  }

  /// Takes every queued command (data thread).
  func take() -> [NodeCommand] {
    notifier.drain()
    return state.withLock { s in
      defer { s.commands.removeAll(keepingCapacity: true) }
      return s.commands
    }
  }

  /// Refuses later posts and returns the commands still queued (data thread, at exit).
  func close() -> [NodeCommand] {
    state.withLock { s in
      s.open = false
      defer { s.commands = [] }
      return s.commands
    }
  }
}
