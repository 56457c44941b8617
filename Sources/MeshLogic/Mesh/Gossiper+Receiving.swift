import MeshProtocol
import MeshTypes

extension Gossiper {
  /// Decodes and handles one received gossip datagram from neighbour `from`; malformed input
  /// is counted in `stats.decodeErrors` and otherwise ignored. `wall` is this host's wall
  /// clock (ns), which bounds the versions accepted (`MeshLimits.maxFutureSkew`).
  public mutating func received(bytes: [UInt8], from: PeerID, now: MeshInstant, wall: UInt64)
    -> [Outgoing]
  {
    stats.messagesReceived += 1
    stats.bytesReceived += bytes.count
    guard let message = try? GossipMessage.decode(bytes) else {
      stats.decodeErrors += 1
      return []
    }
    return handle(message, from: from, now: now, wall: wall)
  }

  /// Handles one decoded message from neighbour `from`: merges records (and pushes them at once
  /// when a push round is allowed), answers summaries with the differing digest chunks, digest
  /// chunks with records and requests, and requests with records.
  public mutating func received(
    _ message: GossipMessage, from: PeerID, now: MeshInstant, wall: UInt64
  ) -> [Outgoing] {
    stats.messagesReceived += 1
    return handle(message, from: from, now: now, wall: wall)
  }

  /// The common part of both `received` forms.
  mutating func handle(_ message: GossipMessage, from: PeerID, now: MeshInstant, wall: UInt64)
    -> [Outgoing]
  {
    var out: [Outgoing] = []
    switch message {
    case .records(let segments):
      for segment in segments { accept(segment, from: from, now: now, wall: wall) }
      if pushAllowed(now: now) { push(now: now, into: &out) }
    case .summary(let summary):
      heardSummary(from: from, now: now)
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
    case .keyAlert(let alert):
      accept(alert, from: from, now: now, wall: wall, into: &out)
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

  /// Takes one received segment: refuses versions too far ahead of `wall`, ignores stale
  /// segments and duplicates of the record held, feeds the rest to reassembly, and merges each
  /// completed record that supersedes the one held and whose signature verifies.
  mutating func accept(_ segment: RecordSegment, from: PeerID, now: MeshInstant, wall: UInt64) {
    let record = segment.record
    let newest =
      wall > UInt64.max - MeshLimits.maxFutureSkew ? .max : wall + MeshLimits.maxFutureSkew
    guard record.version <= newest else {
      stats.futureVersions += 1
      return
    }
    if record.id == id {
      // An echo of our own record is fine; anything else is checked below.
      if record.version < local.version || Self.matches(segment, local) { return }
    } else if let heldVersion = topology.version(of: record.id) {
      // Compare versions first: copying the held record out of the topology is not free.
      if heldVersion > record.version
        || (heldVersion == record.version && Self.matches(segment, topology[record.id]!))
      {
        stats.staleSegments += 1
        return
      }
    }
    guard let whole = reassembly.add(segment) else { return }
    if whole.id != id, let held = topology[whole.id], !whole.supersedes(held) {
      stats.staleSegments += 1
      return
    }
    guard verified(whole) else { return }
    if whole.id == id {
      // A genuine record of our own ID that is newer or different: an older incarnation of
      // this host, or an operator's tombstone of it while it lives. It must lose: republish
      // above it.
      noteContest(whole, over: local, now: now)
      var next = local
      next.version = max(whole.version, local.version) &+ 1
      publish(next, now: now)
      return
    }
    merge(whole, from: from, now: now)
  }

  /// Whether `record` is well-formed and its signature verifies (see
  /// `PeerRecord.verifySignature(operatorKeys:)`); each refusal is counted by reason. Each
  /// record is checked once: the outcome is remembered.
  mutating func verified(_ record: PeerRecord) -> Bool {
    do {
      try record.validate()
    } catch {
      stats.invalidRecords += 1
      return false  // Topology.merge would refuse it too; no signature check for junk
    }
    let key = SignatureCache.key(of: record)
    let outcome: GossipError?
    if let known = signatures.outcome(key) {
      outcome = known
    } else {
      stats.signaturesVerified += 1
      do {
        try record.verifySignature(operatorKeys: configuration.operatorKeys)
        outcome = nil
      } catch {
        outcome = error
        if error == .unknownOperator {
          stats.unknownOperators += 1
        } else {
          stats.badSignatures += 1
        }
      }
      signatures.remember(key, outcome)
    }
    return outcome == nil
  }

  /// Merges a whole record received from `from`; queues it for the next push and raises events.
  mutating func merge(_ record: PeerRecord, from: PeerID, now: MeshInstant) {
    let before = topology[record.id]
    guard topology.merge(record) else { return }
    stats.recordsMerged += 1
    if let before, KeyContests.isRepublish(record, over: before) {
      noteContest(record, over: before, now: now)
    }
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

  /// Counts a record that replaced a rival one of its key and reports the key once it is
  /// contested (see `KeyContests`). For this host's own key any owner-signed record with
  /// other content counts: it was not published here.
  mutating func noteContest(_ record: PeerRecord, over held: PeerRecord, now: MeshInstant) {
    guard record.authority == .owner, !record.departed, !record.sameContent(as: held) else {
      return
    }
    stats.contestedRecords += 1
    if contests.note(record.id, now: now) { raise(.keyContested(record.id)) }
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
      piece.subnetClaimedAt == record.subnetClaimedAt, piece.departed == record.departed,
      piece.authority == record.authority, piece.signature == record.signature
    else { return false }
    let end = segment.offset + piece.connections.count
    guard end <= record.connections.count else { return false }
    return record.connections[segment.offset..<end].elementsEqual(piece.connections)
  }
}
