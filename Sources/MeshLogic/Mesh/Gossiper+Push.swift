import MeshTypes

extension Gossiper {
  /// Runs a push round: each changed record to the neighbours that need it (see the type's
  /// notes), records packed per recipient, identical packings encoded once.
  mutating func push(now: MeshInstant, into out: inout [Outgoing]) {
    lastPush = now
    if let due = relayDue, now >= due {
      for (recordID, from) in relay { dirty[recordID] = .some(from) }
      relay.removeAll()
      relayDue = nil
    }
    let holdLocal = dirty[id] != nil && !localSettled(now: now)
    var perNeighbor: [PeerID: [PeerID]] = [:]
    for recordID in dirty.keys.sorted() where !(holdLocal && recordID == id) {
      guard let record = topology[recordID], let from = dirty[recordID] else { continue }
      for peer in recipients(of: record, from: from) {
        perNeighbor[peer, default: []].append(recordID)
      }
    }
    dirty.removeAll()
    if holdLocal {
      dirty[id] = .some(nil)
    } else {
      localChanged = nil
    }
    var groups: [[PeerID]: [PeerID]] = [:]
    for (peer, ids) in perNeighbor { groups[ids, default: []].append(peer) }
    var encoded: [PeerID: [[UInt8]]] = [:]
    let budget = MeshLimits.maxMessage - GossipMessage.recordsHeader
    for (ids, peers) in groups.sorted(by: { $0.value[0] < $1.value[0] }) {
      var segments: [[UInt8]] = []
      for recordID in ids {
        if encoded[recordID] == nil, let record = topology[recordID] {
          encoded[recordID] = RecordSegment.split(record, budget: budget)
        }
        segments += encoded[recordID] ?? []
      }
      let messages = GossipMessage.pack(segments: segments)
      for peer in peers.sorted() {
        for message in messages { out.append((peer, message)) }
      }
    }
  }

  /// The neighbours a push of `record`, received from `from` (nil: our own), goes to.
  func recipients(of record: PeerRecord, from: PeerID?) -> [PeerID] {
    guard record.id != id else { return neighbors }
    let notListed = Self.difference(neighbors, record.connections)
    let sender = from.flatMap { topology[$0] }
    let direct = from == record.id
    return notListed.filter { peer in
      guard peer != from, peer != record.id else { return false }
      // The peer lists the origin: the origin pushes to it.
      if topology[peer]?.lists(record.id) ?? false { return false }
      if direct { return !hasLowerCommonNeighbor(record, peer) }
      return !(sender?.lists(peer) ?? false)
    }
  }

  /// Whether some host with a lower ID than ours is listed both by `origin` (so it got the
  /// origin's push too) and by `peer`: that host is the designated forwarder to `peer`, so
  /// that a host joined to many of the origin's neighbours gets one copy, not one from each.
  func hasLowerCommonNeighbor(_ origin: PeerRecord, _ peer: PeerID) -> Bool {
    guard let other = topology[peer] else { return false }
    for candidate in other.connections {
      if candidate >= id { return false }
      if origin.lists(candidate) { return true }
    }
    return false
  }

  /// The elements of ascending `a` that are not in ascending `b`.
  static func difference(_ a: [PeerID], _ b: [PeerID]) -> [PeerID] {
    var out: [PeerID] = []
    var j = 0
    for value in a {
      while j < b.count, b[j] < value { j += 1 }
      if j < b.count, b[j] == value { continue }
      out.append(value)
    }
    return out
  }
}
