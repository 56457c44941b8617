import MeshProtocol
import MeshTypes

/// Path MTU per peer: probes out and answers back (inner kind 4), and messages too large for
/// the path sent in pieces (inner kind 7) and put back together here. See `PathMTU` for the
/// measurement and `PieceReassembly` for the receiving side.
extension MeshEngine {
  /// A fresh measurement of the path to a peer at `endpoint` that takes probes and pieces.
  func newPathMTU(towards endpoint: Endpoint) -> PathMTU {
    PathMTU(ipv6: endpoint.isIPv6, underlayMTU: configuration.underlayMTU)
  }

  /// Sends the probes the peer's measurement wants now, on its current session.
  mutating func tickPathMTU(of id: PeerID, now: MeshInstant, out: inout some EngineOutput) {
    guard let p = peers.index(forKey: id), peers.values[p].current != nil,
      peers.values[p].pathMTU.phase != .off
    else { return }
    for probe in peers.values[p].pathMTU.due(now: now) {
      sendProbe(probe.id, size: probe.size, toPeerAt: p, now: now, out: &out)
    }
  }

  /// Sends one probe padded to a datagram of exactly `size` bytes, whole whatever the limit.
  mutating func sendProbe(
    _ id: UInt32, size: Int, toPeerAt p: Dictionary<PeerID, PeerState>.Index, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let payload = size - TransportHeader.size - ChaChaPoly.tagLength
    let probe = PathProbe(
      probeID: id, isReply: false, paddingLength: payload - PathProbe.headerSize)
    let s = scratch.bytes
    guard
      let n = try? InnerMessage.writePathProbe(
        probe, into: UnsafeMutableRawBufferPointer(rebasing: s[TransportHeader.size...])),
      n == payload
    else { return }
    sealAndSendWhole(s, payloadLength: n, toPeerAt: p, frames: 0, now: now, out: &out)
  }

  /// A probe from `peer` (answered with a bare reply) or a reply to one of ours.
  mutating func receiveProbe(
    _ probe: PathProbe, from peer: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let p = peers.index(forKey: peer) else { return }
    if probe.isReply {
      peers.values[p].pathMTU.answered(probe.probeID, now: now)
      return
    }
    let reply = PathProbe(probeID: probe.probeID, isReply: true, paddingLength: 0)
    let s = scratch.bytes
    guard
      let n = try? InnerMessage.writePathProbe(
        reply, into: UnsafeMutableRawBufferPointer(rebasing: s[TransportHeader.size...]))
    else { return }
    sealAndSendWhole(s, payloadLength: n, toPeerAt: p, frames: 0, now: now, out: &out)
  }

  /// Sends a plaintext too large for the path as pieces that each fit `limit` when sealed,
  /// built one at a time in the piece buffer (the plaintext may lie in the scratch buffer).
  mutating func sendInPieces(
    _ plaintext: UnsafeRawBufferPointer, limit: Int,
    toPeerAt p: Dictionary<PeerID, PeerState>.Index, frames: UInt64, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let room = limit - TransportHeader.size - ChaChaPoly.tagLength - PieceHeader.size
    let total = plaintext.count
    let count = (total + room - 1) / room
    // Even pieces (every piece but the last the same length), none below the wire's least.
    let pieceLength = min(room, max((total + count - 1) / count, WireLimits.minPieceLength))
    var header = PieceHeader(
      messageID: peers.values[p].nextPieceMessage, totalLength: total, pieceLength: pieceLength,
      index: 0)
    peers.values[p].nextPieceMessage &+= 1
    guard header.isValid else {
      peers.values[p].drops.count(.sendFailed)
      return drops.count(.sendFailed)
    }
    let s = pieceScratch.bytes
    let inner = UnsafeMutableRawBufferPointer(rebasing: s[TransportHeader.size...])
    for i in 0..<header.pieceCount {
      header.index = i
      let bytes = UnsafeRawBufferPointer(
        rebasing: plaintext[header.offset..<(header.offset + header.length)])
      guard let n = try? InnerMessage.writePiece(header, bytes: bytes, into: inner) else { return }
      sealAndSendWhole(
        s, payloadLength: n, toPeerAt: p, frames: i == 0 ? frames : 0, now: now, out: &out)
    }
  }

  /// A piece from neighbour `p`: stored, and once its message is whole, that message is
  /// handled as if it had come in one datagram.
  mutating func receivePiece(
    _ header: PieceHeader, _ bytes: UnsafeRawBufferPointer,
    from p: Dictionary<PeerID, PeerState>.Index, now: MeshInstant, out: inout some EngineOutput
  ) {
    let peer = peers.keys[p]
    let outcome = reassembly.add(header, bytes, from: peer, now: now)
    switch outcome {
    case .refused:
      peers.values[p].drops.count(.malformedInner)
      drops.count(.malformedInner)
    case .pending(let evicted):
      if evicted { drops.count(.reassemblyEvicted) }
    case .complete(let slot, let evicted):
      if evicted { drops.count(.reassemblyEvicted) }
      let message = reassembly.message(in: slot)
      defer { reassembly.release(slot) }
      let plaintext = UnsafeRawBufferPointer(message)
      guard let inner = try? InnerMessage.parse(plaintext), inner.kind != .piece else {
        peers.values[p].drops.count(.malformedInner)
        return drops.count(.malformedInner)
      }
      dispatchInner(inner, message, from: p, now: now, out: &out)
    }
  }
}
