import Logging
import MeshIO
import MeshLogic

/// Wiring the name registry (`MeshNodeConfiguration.names`) to the running node.
extension MeshNode {
  /// Before the data thread starts: the engine publishes the registry's names from its first
  /// record, and the data thread reports the mesh's names to the registry's directory.
  func prepareNames(_ engine: inout MeshEngine, _ reports: inout NodeReports) {
    guard let registry = configuration.names else { return }
    engine.setLocalNames(registry.published)
    reports.namesChanged = { entries, refused in registry.served(entries, refused: refused) }
  }

  /// Once the data thread runs: later changes of the local names go to it, and the Docker
  /// watcher starts when the registry has a socket to follow.
  func startNames(_ mailbox: NodeMailbox) {
    guard let registry = configuration.names else { return }
    registry.attach { names in _ = mailbox.post(.setNames(names)) }
    guard let socket = registry.dockerSocket else { return }
    let bridge = configuration.bridge
    let logger = self.logger
    do {
      try registry.startWatching(
        socketPath: socket,
        onBridge: {
          let networks = (try? RouteNetlink().ipv4Addresses(link: bridge)) ?? []
          return { address in networks.contains { $0.contains(address) } }
        }, logger: logger)
    } catch {
      logger.error("docker: cannot start the watcher: \(error)")
    }
  }
}
