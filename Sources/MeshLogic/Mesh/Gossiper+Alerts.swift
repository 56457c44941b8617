import MeshProtocol
import MeshTypes

/// Key alerts: a member that sees two live hosts behind one key tells every member.
extension Gossiper {
  /// Who raised an alert about which key: the unit of de-duplication.
  struct AlertOrigin: Hashable, Sendable {
    var reporter: PeerID
    var subject: PeerID
  }

  /// Signs an alert that two live hosts use `subject`'s key (at `kept` and `refused`), marks
  /// the key contested here, and returns the alert for every neighbour, which flood it on.
  /// The caller reports the duplicate itself; no event is raised here.
  public mutating func alert(
    subject: PeerID, kept: Endpoint, refused: Endpoint, now: MeshInstant, wall: UInt64
  ) -> [Outgoing] {
    let alert = signer.sign(
      KeyAlert(reporter: id, subject: subject, issued: wall, kept: kept, refused: refused))
    seenAlerts[AlertOrigin(reporter: id, subject: subject)] = wall
    _ = contests.flag(subject, now: now)
    guard let bytes = try? GossipMessage.keyAlert(alert).encode() else { return [] }
    let out = neighbors.map { (to: $0, bytes: bytes) }
    count(out)
    return out
  }

  /// Takes an alert from neighbour `from`: drops it unless it is fresh (within
  /// `KeyContests.window` of `wall`, not ahead by more than `MeshLimits.maxFutureSkew`), new,
  /// from a known member and signed by it; then marks the key contested (raising
  /// `keyContested` when a report is due) and floods it to the other neighbours.
  mutating func accept(
    _ alert: KeyAlert, from: PeerID, now: MeshInstant, wall: UInt64, into out: inout [Outgoing]
  ) {
    guard alert.reporter != id else { return }
    let window = UInt64(KeyContests.window * 1e9)
    let fresh =
      alert.issued <= wall &+ MeshLimits.maxFutureSkew
      && (wall < window || alert.issued >= wall - window)
    guard fresh else {
      stats.staleAlerts += 1
      return
    }
    let origin = AlertOrigin(reporter: alert.reporter, subject: alert.subject)
    if let seen = seenAlerts[origin], seen >= alert.issued { return }
    guard let reporter = topology[alert.reporter], !reporter.departed,
      alert.subject == id || topology[alert.subject] != nil
    else {
      stats.unknownAlerts += 1
      return
    }
    guard alert.verify(by: reporter.publicKey) else {
      stats.badSignatures += 1
      return
    }
    if seenAlerts.count >= MeshLimits.maxPeers {
      seenAlerts = seenAlerts.filter { wall < window || $0.value >= wall - window }
      guard seenAlerts.count < MeshLimits.maxPeers else { return }
    }
    seenAlerts[origin] = alert.issued
    if contests.flag(alert.subject, now: now) { raise(.keyContested(alert.subject)) }
    guard let bytes = try? GossipMessage.keyAlert(alert).encode() else { return }
    for neighbor in neighbors where neighbor != from && neighbor != alert.reporter {
      out.append((neighbor, bytes))
    }
  }
}
