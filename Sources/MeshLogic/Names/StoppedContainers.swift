/// Corrects Docker's container list by the events that outrun it.
///
/// Docker sends a container's `die` event (and its network `disconnect`) before the list
/// that `GET /containers/json` answers from shows it stopped, so a list taken at once may
/// still name a container that is gone. The event is authoritative: a container that died is
/// left out of every later list until it starts again. Bounded by `maxRemembered` (the
/// oldest are forgotten first; by then Docker's list has caught up).
public struct StoppedContainers: Equatable, Sendable {
  /// The most container IDs remembered.
  public static let maxRemembered = 1_024

  private var order: [String] = []
  private var ids: Set<String> = []

  /// Nothing stopped yet.
  public init() {}

  /// Takes one event: a container `die` marks it stopped, a `start` clears it.
  public mutating func note(type: String, action: String, id: String) {
    guard type == "container", !id.isEmpty else { return }
    switch action {
    case "die":
      guard ids.insert(id).inserted else { return }
      order.append(id)
      if order.count > Self.maxRemembered { ids.remove(order.removeFirst()) }
    case "start":
      guard ids.remove(id) != nil else { return }
      order.removeAll { $0 == id }
    default:
      break
    }
  }

  /// `containers` without those that died after they last started.
  public func running(_ containers: [LocalContainer]) -> [LocalContainer] {
    ids.isEmpty ? containers : containers.filter { !ids.contains($0.id) }
  }
}
