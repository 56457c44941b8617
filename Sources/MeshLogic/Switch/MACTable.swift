import MeshTypes

/// Where a MAC address was last seen: behind the local TAP or behind a remote peer.
public enum MACLocation: Hashable, Sendable {
  /// On this host's bridge.
  case local
  /// Behind the peer with this ID.
  case remote(PeerID)
}

/// The learning table of the mesh switch: which host each MAC address lives on.
///
/// Ownership is first come, and local always wins, so that no member can take over another
/// host's addresses (a member gone bad sending frames with a forged source MAC):
/// - a frame from the local bridge (the TAP) always makes its source local;
/// - a remote host may source frames only from MACs it owns: a MAC it was first to use, or
///   one whose owner has been silent for `agingTime`. A MAC that lives on this host's bridge
///   (seen from the TAP within `agingTime`, or pinned: the bridge's and the TAP's own) or that
///   another remote host owns is refused, and the frame is dropped, never delivered: the
///   kernel bridge would otherwise learn the forged MAC at the TAP's port.
/// The table has a hard size bound, so a flood of forged source addresses cannot grow it
/// without limit.
public struct MACTable: Sendable {
  /// One learned address.
  public struct Entry: Sendable, Equatable {
    /// Where the address lives.
    public var location: MACLocation
    /// When a frame from it was last seen.
    public var lastSeen: MeshInstant
    /// Whether it lives on this host's bridge for good (the bridge's and the TAP's own): it
    /// never ages and no remote host may take it.
    public var pinned = false
  }

  /// The most addresses the table holds; past it, new addresses are not learned (and their
  /// frames are flooded) until entries age out.
  public static let capacity = 16_384
  /// Entries not refreshed for this long are forgotten, and their MACs may be claimed anew.
  public var agingTime: Double = 300

  /// Every learned and pinned address: one dictionary access per frame answers both "where
  /// does it live" and "may this host use it".
  private(set) var entries: [MACAddress: Entry] = [:]
  /// How many of `entries` are pinned.
  private var pinnedCount = 0

  /// An empty table.
  public init() {}

  /// The number of learned addresses (pinned ones not counted).
  public var count: Int { entries.count - pinnedCount }

  /// Where `mac` lives, if known and not aged out.
  public func lookup(_ mac: MACAddress, now: MeshInstant) -> MACLocation? {
    guard let e = entries[mac], e.pinned || now.seconds(since: e.lastSeen) < agingTime else {
      return nil
    }
    return e.location
  }

  /// Sets the MACs that live on this host's bridge for good (the bridge's and the TAP's):
  /// no remote host may ever source frames from them.
  public mutating func pin(local macs: Set<MACAddress>) {
    entries = entries.filter { !$0.value.pinned }
    for mac in macs {
      entries[mac] = Entry(location: .local, lastSeen: MeshInstant(nanoseconds: 0), pinned: true)
    }
    pinnedCount = macs.count
  }

  /// Records that a frame from `mac` came from the local bridge. Local always wins: a MAC
  /// that a remote host owned moves here.
  public mutating func learnLocal(_ mac: MACAddress, now: MeshInstant) {
    guard !mac.isMulticast else { return }
    if let e = entries[mac] {
      if e.pinned { return }
    } else if count >= MACTable.capacity {
      return
    }
    entries[mac] = Entry(location: .local, lastSeen: now)
  }

  /// Records that a frame from `mac` came from the remote host `origin`. Returns false, and
  /// changes nothing, when `origin` does not own `mac`: the MAC lives on this host's bridge
  /// or belongs to another remote host that was heard from within `agingTime`.
  @discardableResult
  public mutating func learnRemote(_ mac: MACAddress, from origin: PeerID, now: MeshInstant)
    -> Bool
  {
    guard !mac.isMulticast else { return true }
    let location = MACLocation.remote(origin)
    if let e = entries[mac] {
      if e.pinned { return false }
      if e.location != location, now.seconds(since: e.lastSeen) < agingTime { return false }
      entries[mac] = Entry(location: location, lastSeen: now)
      return true
    }
    guard count < MACTable.capacity else { return true }
    entries[mac] = Entry(location: location, lastSeen: now)
    return true
  }

  /// Forgets every address behind `peer`, when it leaves the mesh.
  public mutating func forget(peer: PeerID) {
    entries = entries.filter { $0.value.location != .remote(peer) }
  }

  /// Drops entries older than the aging time.
  public mutating func expire(now: MeshInstant) {
    let age = agingTime
    entries = entries.filter { $0.value.pinned || now.seconds(since: $0.value.lastSeen) < age }
  }
}
