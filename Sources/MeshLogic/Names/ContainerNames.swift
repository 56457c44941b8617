import MeshTypes

/// Turns the local containers into the names they are registered under, and a change of
/// container set into the names that came and went: the decisions of the Docker watcher,
/// apart from its I/O.
public enum ContainerNames {
  /// The outcome of naming a set of containers.
  public struct Naming: Equatable, Sendable {
    /// The entries: each container under its name, and under its service when labelled.
    public var entries: [NameEntry]
    /// Names that are not valid DNS labels (as Docker gave them), skipped.
    public var invalid: [String]
  }

  /// The entries for `containers` on host `host`. A container is named only when one of its
  /// addresses is on the mesh's bridge (`onBridge`); its name (and its service) lower-cased
  /// and checked as a DNS label, or reported in `invalid`. Service entries carry the
  /// container's exposed TCP ports, at most `NameLimits.maxPortsPerName`, ascending.
  public static func naming(
    _ containers: [LocalContainer], host: PeerID, onBridge: (UInt32) -> Bool
  ) -> Naming {
    var entries: [NameEntry] = []
    var invalid: [String] = []
    for container in containers.sorted(by: { $0.id < $1.id }) {
      guard let address = container.addresses.first(where: onBridge) else { continue }
      let ports = Array(
        Set(container.tcpPorts.filter { $0 != 0 }).sorted().prefix(
          NameLimits.maxPortsPerName))
      if let name = NameRules.normalized(container.name), NameRules.isLabel(name) {
        entries.append(
          NameEntry(name: name, kind: .container, address: address, ports: ports, host: host))
      } else {
        invalid.append(container.name)
      }
      guard let label = container.service else { continue }
      if let service = NameRules.normalized(label), NameRules.isLabel(service) {
        entries.append(
          NameEntry(name: service, kind: .service, address: address, ports: ports, host: host))
      } else {
        invalid.append(label)
      }
    }
    return Naming(entries: NameEntry.canonical(entries), invalid: invalid)
  }

  /// What changed between two sets of entries: the ones only in `new` (registered) and the
  /// ones only in `old` (gone), each in canonical order. A changed port list counts as both.
  public static func changes(
    from old: [NameEntry], to new: [NameEntry]
  ) -> (added: [NameEntry], removed: [NameEntry]) {
    let before = Set(old)
    let after = Set(new)
    return (
      NameEntry.canonical(new.filter { !before.contains($0) }),
      NameEntry.canonical(old.filter { !after.contains($0) })
    )
  }
}
