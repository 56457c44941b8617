import MeshTypes

/// The summary exchange with a new neighbour when that neighbour does not start it.
///
/// The side with the lower ID sends a membership summary to a new neighbour (see `tick`).
/// Its neighbour may not be new to it, though: a host that restarts within the neighbour's
/// dead-peer timeout comes back with an empty topology, and the neighbour sees only a rekey
/// of a session that never went down, so it sends nothing. Nor does anything else until
/// either side's next anti-entropy round, up to `antiEntropyInterval` later (or until a
/// record changes), and until then the restarted host knows none of the mesh's hosts, their
/// subnets or names. So the side with the higher ID waits `newNeighborWait` for a summary
/// from the new neighbour and, when none came, sends it an anti-entropy (versions) summary
/// itself: the same exchange, which also repairs what a host missed while the neighbour had
/// merely stopped hearing from it.
extension Gossiper {
  /// Starts waiting for a summary from each joined neighbour with a lower ID (none is awaited
  /// when one came moments ago, before the neighbour was reported), forgets those that left,
  /// and sends a versions summary to each that kept the wait unanswered.
  mutating func awaitSummaries(joined: [PeerID], now: MeshInstant, into out: inout [Outgoing]) {
    let wait = configuration.newNeighborWait
    if !summaryHeard.isEmpty {
      summaryHeard = summaryHeard.filter { now.seconds(since: $0.value) < wait }
    }
    for peer in joined where peer < id && summaryHeard[peer] == nil {
      awaitingSummary[peer] = now
    }
    guard !awaitingSummary.isEmpty else { return }
    var due: [PeerID] = []
    for (peer, joinedAt) in awaitingSummary {
      if neighbors.contains(peer) {
        if now.seconds(since: joinedAt) >= wait { due.append(peer) }
      } else {
        awaitingSummary[peer] = nil
      }
    }
    guard !due.isEmpty else { return }
    let summary = try! GossipMessage.summary(topology.summary(mode: .versions)).encode()
    for peer in due.sorted() {
      awaitingSummary[peer] = nil
      stats.newNeighborSummaries += 1
      out.append((peer, summary))
    }
  }

  /// Notes a summary from `peer`: a new neighbour that sent one is no longer waited for.
  mutating func heardSummary(from peer: PeerID, now: MeshInstant) {
    awaitingSummary[peer] = nil
    summaryHeard[peer] = now
  }
}
