import MeshLogic
import MeshProtocol
import MeshTypes

/// A request to the data thread. Those that want an answer carry the closure that delivers
/// it; the data thread calls it once.
enum NodeCommand: Sendable {
  case connect(Endpoint)
  /// Connect to a peer given by name (or literal), resolved to the endpoints.
  case connectHost(HostPort, [Endpoint])
  /// A name the engine asked to resolve again, resolved.
  case resolved(HostPort, [Endpoint])
  case forgetHost(HostPort, [Endpoint], @Sendable (Bool) -> Void)
  case reload([SymmetricKey], Set<PublicKey>?)
  case release(PeerID, OperatorKey?, @Sendable (MeshEngine.ReleaseOutcome) -> Void)
  case forget(Endpoint, @Sendable (Bool) -> Void)
  case status(@Sendable (MeshStatus) -> Void)
  /// The names this host publishes in its record changed.
  case setNames([NameEntry])
  case stop

  /// Answers a request that no data thread will see (the node is not running), so that no
  /// caller waits forever: "not found", or the status `idle` gives.
  func answerUnserved(idle: () -> MeshStatus) {
    switch self {
    case .status(let reply): reply(idle())
    case .forget(_, let reply), .forgetHost(_, _, let reply): reply(false)
    case .release(_, _, let reply): reply(.unknown)
    case .connect, .connectHost, .resolved, .reload, .setNames, .stop: break
    }
  }
}
