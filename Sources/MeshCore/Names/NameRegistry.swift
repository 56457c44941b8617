import Logging
import MeshAPI
import MeshLogic
import MeshTypes
import Synchronization

/// This host's side of service discovery: the names it publishes (added by hand, and found
/// by the Docker watcher) and the directory of every name the mesh serves.
///
/// The node hands each change of the local names to its data thread, which puts them in the
/// host's signed record (`MeshEngine.setLocalNames`); the data thread hands back the mesh's
/// names whenever the topology changes, and they land in `directory` for the DNS server.
/// Manual names are saved in the state directory, so a restarted host keeps them.
public final class NameRegistry: Sendable {
  /// Every name the mesh serves now: this host's and every live member's.
  public let directory: NameDirectory
  /// This host's ID (the `host` of its entries).
  public let host: PeerID
  let stateDirectory: StateDirectory?
  /// The Docker engine's socket to follow once the node runs; nil follows none.
  public let dockerSocket: String?

  private struct State {
    var local = LocalNames()
    var unpublished = 0
    var refused = 0
    var publish: (@Sendable ([NameEntry]) -> Void)?
    var watcher: DockerWatcher?
    /// Invalid container names already logged (each is logged once).
    var reportedInvalid: Set<String> = []
  }

  private let state = Mutex(State())

  /// A registry for host `host`, with the manual names saved in `stateDirectory` (read at
  /// once: a names file that does not parse is an error naming it), following the Docker
  /// engine at `dockerSocket` once the node runs.
  public init(
    host: PeerID, stateDirectory: StateDirectory?, dockerSocket: String? = nil,
    directory: NameDirectory = .init()
  ) throws {
    self.host = host
    self.dockerSocket = dockerSocket
    self.directory = directory
    self.stateDirectory = stateDirectory
    let manual = try stateDirectory?.loadManualNames(host: host) ?? []
    state.withLock { $0.local.manual = manual }
  }

  /// The names to publish now (what the record carries).
  public var published: [NameEntry] { state.withLock { $0.local.published().names } }

  /// Connects the registry to a running node: `publish` gets every change of the published
  /// names (and the current ones at once).
  func attach(_ publish: @escaping @Sendable ([NameEntry]) -> Void) {
    state.withLock { $0.publish = publish }
    republish()
  }

  /// Adds a manual name and saves the manual names; false when it was there already.
  @discardableResult
  public func addManual(_ name: String, address: UInt32) throws -> Bool {
    let added = try changeManual { $0.addManual(name, address: address, host: host) }
    if added { republish() }
    return added
  }

  /// Removes the manual name `name` (only at `address` when given) and saves the manual
  /// names; returns how many entries went.
  @discardableResult
  public func removeManual(_ name: String, address: UInt32?) throws -> Int {
    let removed = try changeManual { $0.removeManual(name, address: address) }
    if removed > 0 { republish() }
    return removed
  }

  /// Applies `change` to the local names and saves the manual ones when they changed.
  private func changeManual<T>(_ change: (inout LocalNames) -> T) throws -> T {
    try state.withLock { s in
      var local = s.local
      let result = change(&local)
      if local.manual != s.local.manual { try stateDirectory?.saveManualNames(local.manual) }
      s.local = local
      return result
    }
  }

  /// Replaces the names of the local containers (the Docker watcher's findings).
  public func setDiscovered(_ entries: [NameEntry]) {
    let changed = state.withLock { s in
      guard s.local.discovered != entries else { return false }
      s.local.discovered = entries
      return true
    }
    if changed { republish() }
  }

  /// The mesh's names as the data thread computed them.
  func served(_ entries: [NameEntry], refused: Int) {
    state.withLock { $0.refused = refused }
    directory.replace(with: entries)
  }

  /// Every name the mesh serves, with this host's counts, for `meshd dns list`.
  public func list() -> NameList {
    let (unpublished, refused) = state.withLock { ($0.unpublished, $0.refused) }
    return NameList(
      names: directory.snapshot().entries, unpublished: unpublished, refused: refused)
  }

  /// Hands the published names to the node.
  private func republish() {
    let (names, publish) = state.withLock { s in
      let (names, leftOut) = s.local.published()
      s.unpublished = leftOut
      return (names, s.publish)
    }
    publish?(names)
  }

  /// Starts following the local Docker engine at `socketPath` (see `DockerWatcher`);
  /// containers count when one of their addresses is on the bridge (`onBridge`).
  func startWatching(
    socketPath: String, onBridge: @escaping @Sendable () -> (UInt32) -> Bool, logger: Logger
  ) throws {
    let host = self.host
    let watcher = DockerWatcher(socketPath: socketPath, logger: logger) { [weak self] containers in
      guard let self else { return }
      let naming = ContainerNames.naming(containers, host: host, onBridge: onBridge())
      let fresh = state.withLock { s in
        let new = naming.invalid.filter { !s.reportedInvalid.contains($0) }
        if s.reportedInvalid.count < 1024 { s.reportedInvalid.formUnion(new) }
        return new
      }
      for name in fresh {
        logger.notice(
          "docker: container name \(DisplayText.escaped(name)) is not a DNS label; not registered")
      }
      let before = state.withLock { $0.local.discovered }
      let (added, removed) = ContainerNames.changes(from: before, to: naming.entries)
      for entry in added { logger.info("registered \(NameRegistry.describe(entry))") }
      for entry in removed { logger.info("unregistered \(NameRegistry.describe(entry))") }
      setDiscovered(naming.entries)
    }
    try watcher.start()
    state.withLock { $0.watcher = watcher }
  }

  /// `NAME (KIND) at ADDRESS`, for log lines.
  static func describe(_ entry: NameEntry) -> String {
    "\(entry.name) (\(NameList.kindName(entry.kind))) at \(IPv4Network.format(entry.address))"
  }

  /// Stops the Docker watcher, if one runs.
  public func stopWatching() {
    let watcher = state.withLock { s in
      defer { s.watcher = nil }
      return s.watcher
    }
    watcher?.stop()
  }
}
