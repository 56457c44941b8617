import MeshTypes

/// The diagnostic parts of a status snapshot: how long each peer has been in its state, the
/// attempts since, the last error, departed members and the IPAM range's usage.
extension MeshEngine {
  /// Fills in a known peer's attempts, time in state and last error.
  func describeDiagnostics(of row: inout MeshStatus.Peer, peer p: PeerState, now: MeshInstant) {
    row.attempts = p.attempts
    row.stateFor = p.stateSince.map { now.seconds(since: $0) }
    row.lastError = p.lastError
    row.roundTrip = p.candidates.first { $0.endpoint == p.endpoint }?.roundTrip
    if !p.isUp, p.attempts > 0, p.lastError == nil {
      row.lastError = "\(p.attempts) handshake attempt(s) unanswered"
    }
  }

  /// Fills in a dial's attempts, time in state and, once its attempts go unanswered, the
  /// likely causes.
  func describeDiagnostics(of row: inout MeshStatus.Peer, dial d: DialState, now: MeshInstant) {
    row.attempts = d.attempts
    row.stateFor = now.seconds(since: d.started)
    if d.attempts >= 2 {
      row.lastError =
        "\(d.attempts) handshake attempts unanswered: no meshd listens there, a firewall drops "
        + "the datagrams, or it uses a different cluster secret (its log then names this host)"
    }
  }

  /// Counts the live members, lists the departed ones, and gives the IPAM range's usage.
  func describeMembers(of status: inout MeshStatus) {
    let records = gossiper.topology.records
    status.departed = records.values.filter(\.departed)
      .map { MeshStatus.Member(id: $0.id, nickname: $0.nickname) }
      .sorted { $0.id < $1.id }
    status.members = records.count - status.departed.count
    if let plan = ipamState?.plan {
      status.ipam = MeshStatus.IPAMUsage(
        range: plan.range, subnetSize: plan.subnetSize, total: plan.subnetCount,
        used: resolvedClaims.count)
    }
  }
}
