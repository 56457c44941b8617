import MeshTypes

extension Gossiper {
  /// Decodes and handles one received gossip datagram from neighbour `from`; malformed input
  /// is counted in `stats.decodeErrors` and otherwise ignored.
  public mutating func received(bytes: [UInt8], from: PeerID, now: MeshInstant) -> [Outgoing] {
    stats.messagesReceived += 1
    stats.bytesReceived += bytes.count
    guard let message = try? GossipMessage.decode(bytes) else {
      stats.decodeErrors += 1
      return []
    }
    return handle(message, from: from, now: now)
  }

  /// Handles one decoded message from neighbour `from`: merges records (and pushes them at once
  /// when a push round is allowed), answers summaries with the differing digest chunks, digest
  /// chunks with records and requests, and requests with records.
  public mutating func received(_ message: GossipMessage, from: PeerID, now: MeshInstant)
    -> [Outgoing]
  {
    stats.messagesReceived += 1
    return handle(message, from: from, now: now)
  }

  /// The common part of both `received` forms.
  mutating func handle(_ message: GossipMessage, from: PeerID, now: MeshInstant) -> [Outgoing] {
    var out: [Outgoing] = []
    switch message {
    case .records(let segments):
      for segment in segments { accept(segment, from: from, now: now) }
      if pushAllowed(now: now) { push(now: now, into: &out) }
    case .summary(let summary):
      let differing = topology.differingBuckets(summary)
      let byBucket = topology.digest(buckets: Set(differing))
      for bucket in differing {
        let range = DigestSummary.range(of: bucket)
        let entries = byBucket[bucket] ?? []
        for chunk in DigestChunk.chunks(
          mode: summary.mode, lower: range.lowerBound, upper: range.upperBound, entries: entries)
        {
          out.append((from, try! GossipMessage.digest(chunk).encode()))
        }
      }
    case .digest(let chunk):
      answer(chunk, from: from, into: &out)
    case .request(let ids):
      var seen = Set<PeerID>()
      let records = ids.compactMap { seen.insert($0).inserted ? topology[$0] : nil }
      for bytes in GossipMessage.pack(records) { out.append((from, bytes)) }
    }
    count(out)
    return out
  }

  /// Compares a digest chunk with our records in its range: sends what the other side lacks
  /// (or, comparing versions, holds older) and requests what we lack (or hold older).
  mutating func answer(_ chunk: DigestChunk, from: PeerID, into out: inout [Outgoing]) {
    let mine = topology.digest(in: chunk.lower...chunk.upper)
    let versions = chunk.mode == .versions
    var send: [PeerRecord] = []
    var want: [PeerID] = []
    var i = 0
    var j = 0
    let theirs = chunk.entries
    while i < mine.count || j < theirs.count {
      if j == theirs.count || (i < mine.count && mine[i].id < theirs[j].id) {
        send.append(topology[mine[i].id]!)
        i += 1
      } else if i == mine.count || theirs[j].id < mine[i].id {
        want.append(theirs[j].id)
        j += 1
      } else {
        if versions, mine[i].version > theirs[j].version { send.append(topology[mine[i].id]!) }
        if versions, mine[i].version < theirs[j].version { want.append(theirs[j].id) }
        i += 1
        j += 1
      }
    }
    for bytes in GossipMessage.pack(send) { out.append((from, bytes)) }
    for request in GossipMessage.requests(want) {
      out.append((from, try! request.encode()))
    }
  }

  /// Takes one received segment: ignores stale ones and duplicates of the record held, feeds
  /// the rest to reassembly and merges each completed record.
  mutating func accept(_ segment: RecordSegment, from: PeerID, now: MeshInstant) {
    let record = segment.record
    if record.id == id {
      // Our own ID: an echo is fine; anything newer or different is an older incarnation of
      // this host (or a forgery) that must lose, so republish above it.
      if record.version < local.version || Self.matches(segment, local) { return }
      var next = local
      next.version = max(record.version, local.version) &+ 1
      publish(next, now: now)
      return
    }
    if let heldVersion = topology.version(of: record.id) {
      // Compare versions first: copying the held record out of the topology is not free.
      if heldVersion > record.version
        || (heldVersion == record.version && Self.matches(segment, topology[record.id]!))
      {
        stats.staleSegments += 1
        return
      }
    }
    guard let whole = reassembly.add(segment) else { return }
    merge(whole, from: from, now: now)
  }

  /// Merges a whole record received from `from`; queues it for the next push and raises events.
  mutating func merge(_ record: PeerRecord, from: PeerID, now: MeshInstant) {
    let before = topology[record.id]
    guard topology.merge(record) else { return }
    stats.recordsMerged += 1
    relay[record.id] = from
    if relayDue == nil { relayDue = now.adding(seconds: configuration.relayDelay) }
    if let before {
      if before.endpoints != record.endpoints, !record.departed {
        raise(.endpointsChanged(record.id, endpoints: record.endpoints))
      }
      if record.departed, !before.departed { raise(.departed(record.id)) }
    } else {
      raise(
        record.departed ? .departed(record.id) : .learned(record.id, endpoints: record.endpoints))
    }
  }

  /// Queues an event within `MeshLimits.maxPendingEvents`.
  mutating func raise(_ event: GossipEvent) {
    guard events.count < MeshLimits.maxPendingEvents else {
      stats.eventsDropped += 1
      return
    }
    events.append(event)
  }

  /// Whether `segment` is a piece of exactly `record` (same version, header and slice).
  static func matches(_ segment: RecordSegment, _ record: PeerRecord) -> Bool {
    let piece = segment.record
    guard piece.version == record.version, segment.totalConnections == record.connections.count,
      piece.publicKey == record.publicKey, piece.nickname == record.nickname,
      piece.endpoints == record.endpoints, piece.subnet == record.subnet,
      piece.departed == record.departed
    else { return false }
    let end = segment.offset + piece.connections.count
    guard end <= record.connections.count else { return false }
    return record.connections[segment.offset..<end].elementsEqual(piece.connections)
  }
}
