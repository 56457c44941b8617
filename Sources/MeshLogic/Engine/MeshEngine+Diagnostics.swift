import MeshTypes

/// Diagnostics: what the engine tells an operator about faults that would otherwise show only
/// as counters (a host with another cluster secret).
extension MeshEngine {
  /// Reports a handshake refused as not of this cluster, rate-limited per source (see
  /// `HandshakeRefusals`).
  mutating func refuseHandshake(
    _ reason: HandshakeRefusal, from source: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let report = handshakeRefusals.note(reason, from: source, now: now) else { return }
    out.event(.handshakeRefused(source, reason: report.reason, count: report.count))
  }
}
