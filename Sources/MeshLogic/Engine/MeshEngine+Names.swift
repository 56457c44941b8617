import MeshTypes

/// The names this host publishes and the names the mesh serves.
extension MeshEngine {
  /// Sets the names this host publishes in its record; the record is re-signed and pushed
  /// to the neighbours at the next tick when they changed. Their `host` is set here, and
  /// names a record may not carry (malformed, or beyond its bounds) are left out as
  /// `LocalNames.published()` does, so the record always stays valid.
  public mutating func setLocalNames(_ names: [NameEntry]) {
    var local = LocalNames()
    local.manual = names.filter { $0.kind == .manual }
    local.discovered = names.filter { $0.kind != .manual }
    var own = local.published().names
    for index in own.indices { own[index].host = id }
    guard own != localNames else { return }
    localNames = own
    localRecordDirty = true
  }

  /// A number that changes whenever the names the mesh serves may have changed: the topology
  /// generation the routes were last computed for. Not the topology's own generation, which
  /// moves as soon as a record merges, before the routes that decide which hosts are live
  /// follow at the next tick: names read in between would leave a host out until its record
  /// changed again.
  public var namesGeneration: UInt64 { routesGeneration.map { $0 &+ 1 } ?? 0 }

  /// Every name the mesh serves now (`NamePolicy.collect`): this host's and those of every
  /// live member, departed, released and unreachable hosts left out; and how many names
  /// the address rule refused.
  public func meshNames() -> (entries: [NameEntry], refused: Int) {
    NamePolicy.collect(
      gossiper.topology.records.values, meshRange: configuration.ipam?.range,
      released: configuration.ipam?.released ?? [],
      isLive: { peer in peer == id || nextHop(to: peer) != nil })
  }
}
