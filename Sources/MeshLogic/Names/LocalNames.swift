import MeshTypes

/// The names this host publishes in its record: the ones added by hand and the ones found in
/// the local Docker engine, cut to what a record may carry.
///
/// When more names exist than fit (`NameLimits.maxNamesPerHost`, `NameLimits.maxNameBytes`),
/// manual names go first, then service instances, then containers, each group in canonical
/// order; what is left out is counted, so the operator can be told.
public struct LocalNames: Equatable, Sendable {
  /// Names added by hand (`meshd dns add`), persisted in the state directory.
  public var manual: [NameEntry] = []
  /// Names of the local containers (from the Docker API).
  public var discovered: [NameEntry] = []

  /// No names.
  public init() {}

  /// The names to publish, in canonical order, and how many were left out.
  public func published() -> (names: [NameEntry], leftOut: Int) {
    let candidates =
      NameEntry.canonical(manual.filter(\.isWellFormed))
      + NameEntry.canonical(discovered.filter { $0.kind == .service && $0.isWellFormed })
      + NameEntry.canonical(discovered.filter { $0.kind == .container && $0.isWellFormed })
    var chosen: [NameEntry] = []
    var bytes = 1
    var leftOut = 0
    for entry in candidates {
      if chosen.contains(where: { !$0.precedes(entry) && !entry.precedes($0) }) { continue }
      guard chosen.count < NameLimits.maxNamesPerHost,
        bytes + entry.encodedSize <= NameLimits.maxNameBytes
      else {
        leftOut += 1
        continue
      }
      chosen.append(entry)
      bytes += entry.encodedSize
    }
    return (NameEntry.canonical(chosen), leftOut)
  }

  /// Adds a manual name (a second address for a name adds another record, as in DNS);
  /// returns false when that exact name and address were already there.
  public mutating func addManual(_ name: String, address: UInt32, host: PeerID) -> Bool {
    guard !manual.contains(where: { $0.name == name && $0.address == address }) else {
      return false
    }
    manual.append(NameEntry(name: name, kind: .manual, address: address, host: host))
    manual = NameEntry.canonical(manual)
    return true
  }

  /// Removes the manual name `name` (only at `address` when given); returns how many
  /// entries went.
  public mutating func removeManual(_ name: String, address: UInt32?) -> Int {
    let before = manual.count
    manual.removeAll { $0.name == name && (address == nil || $0.address == address) }
    return before - manual.count
  }
}
