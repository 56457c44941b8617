import MeshLogic
import Synchronization

/// The names the mesh currently answers for, shared between the node (which writes them as
/// records and local containers change) and the DNS server (which reads them per query).
///
/// Neither side is on the per-packet path: a short lock around a snapshot swap is enough.
public final class NameDirectory: Sendable {
  private struct State {
    var entries: [NameEntry] = []
    var generation: UInt64 = 0
  }

  private let state = Mutex(State())

  /// Creates an empty directory.
  public init() {}

  /// Replaces every entry; readers see the new set from their next `snapshot()`.
  public func replace(with entries: [NameEntry]) {
    state.withLock { state in
      guard state.entries != entries else { return }
      state.entries = entries
      state.generation &+= 1
    }
  }

  /// The current entries and a generation number that changes whenever they do, so a reader
  /// can keep an index and rebuild it only after a change.
  public func snapshot() -> (entries: [NameEntry], generation: UInt64) {
    state.withLock { ($0.entries, $0.generation) }
  }
}
