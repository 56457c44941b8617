import MeshTypes

/// Where a MAC address was last seen: behind the local TAP or behind a remote peer.
public enum MACLocation: Hashable, Sendable {
  /// On this host's bridge.
  case local
  /// Behind the peer with this ID.
  case remote(PeerID)
}

/// The learning table of the mesh switch: which host each MAC address lives on. Entries age out,
/// a MAC that shows up elsewhere moves, and the table has a hard size bound so a flood of
/// forged source addresses cannot grow it without limit.
public struct MACTable: Sendable {
  /// One learned address.
  public struct Entry: Sendable, Equatable {
    /// Where the address lives.
    public var location: MACLocation
    /// When a frame from it was last seen.
    public var lastSeen: MeshInstant
  }

  /// The most addresses the table holds; past it, new addresses are not learned (and their
  /// frames are flooded) until entries age out.
  public static let capacity = 16_384
  /// Entries not refreshed for this long are forgotten.
  public var agingTime: Double = 300
  /// A frame from the TAP whose source was seen at a remote peer less than this long ago is a
  /// looped copy, not a move.
  public var moveHoldoff: Double = 1

  private(set) var entries: [MACAddress: Entry] = [:]

  /// An empty table.
  public init() {}

  /// The number of learned addresses.
  public var count: Int { entries.count }

  /// Where `mac` lives, if known and not aged out.
  public func lookup(_ mac: MACAddress, now: MeshInstant) -> MACLocation? {
    guard let e = entries[mac], now.seconds(since: e.lastSeen) < agingTime else { return nil }
    return e.location
  }

  /// Records that a frame from `mac` arrived from `location`. Returns false when the frame
  /// should be dropped as a loop: it came from the TAP but its source was just seen remotely.
  @discardableResult
  public mutating func learn(_ mac: MACAddress, at location: MACLocation, now: MeshInstant) -> Bool
  {
    guard !mac.isMulticast else { return true }
    if let e = entries[mac] {
      if e.location != location, location == .local, case .remote = e.location,
        now.seconds(since: e.lastSeen) < moveHoldoff
      {
        return false
      }
      entries[mac] = Entry(location: location, lastSeen: now)
      return true
    }
    guard entries.count < MACTable.capacity else { return true }
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
    entries = entries.filter { now.seconds(since: $0.value.lastSeen) < age }
  }
}
