import MeshProtocol
import MeshTypes

/// Sealing and sending to one neighbour: the inner headers written in front of a frame, the
/// frame encrypted in place, and the datagram (or its pieces, when the path is too small) handed
/// to the output.
extension MeshEngine {
  /// Writes the inner headers in front of the frame at `frameStart` (which has room for them
  /// and the transport header before it: `framePrefix` bytes in a TAP slot or the scratch
  /// buffer, exactly the old headers' in a relayed datagram), then encrypts and sends it to
  /// one neighbour.
  /// A peer that did not announce offload support gets no offloaded frame.
  mutating func sendEncapsulated(
    _ buffer: UnsafeMutableRawBufferPointer, frameStart f: Int, frameLength: Int,
    offload: VirtioNetHeader?, relay: RelayHeader?, toPeerAt p: Dictionary<PeerID, PeerState>.Index,
    inPlace: Bool = false, now: MeshInstant, out: inout some EngineOutput
  ) {
    if offload != nil, !peers.values[p].acceptsOffload {
      peers.values[p].drops.count(.offloadUnsupported)
      return drops.count(.offloadUnsupported)
    }
    var start = f
    if let offload {
      start -= VirtioNetHeader.size
      offload.write(into: UnsafeMutableRawBufferPointer(rebasing: buffer[start...]))
    }
    let kind: InnerKind
    if let relay {
      start -= RelayHeader.size
      kind = offload == nil ? .relayedFrame : .relayedOffloadedFrame
      _ = try? InnerMessage.writeRelayHeader(
        relay, into: UnsafeMutableRawBufferPointer(rebasing: buffer[start...]))
      buffer[start] = kind.rawValue
    } else {
      start -= 1
      kind = offload == nil ? .frame : .offloadedFrame
      buffer[start] = kind.rawValue
    }
    let base = start - TransportHeader.size
    sealAndSend(
      UnsafeMutableRawBufferPointer(rebasing: buffer[base...]),
      payloadLength: f + frameLength - start, toPeerAt: p, frames: 1, inPlace: inPlace, now: now,
      out: &out)
  }

  /// Sends a keepalive: an empty inner message that proves the session is alive.
  mutating func sendKeepalive(to peer: PeerID, now: MeshInstant, out: inout some EngineOutput) {
    let s = scratch.bytes
    s[TransportHeader.size] = InnerKind.keepalive.rawValue
    sealAndSend(s, payloadLength: 1, to: peer, frames: 0, now: now, out: &out)
  }

  /// Encrypts `payloadLength` bytes at `TransportHeader.size` in `buffer` for `peer`'s current
  /// session, writes the header in front, and sends the datagram.
  mutating func sealAndSend(
    _ buffer: UnsafeMutableRawBufferPointer, payloadLength: Int, to peer: PeerID, frames: UInt64,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let p = peers.index(forKey: peer) else { return drops.count(.noSession) }
    sealAndSend(
      buffer, payloadLength: payloadLength, toPeerAt: p, frames: frames, now: now, out: &out)
  }

  /// `sealAndSend` for a peer given by its position in the table, so that loops over the table
  /// can send without copying it. `inPlace` says that `buffer` is the caller's own (a frame
  /// handed to `sendFrame`), which the output may keep until its batch leaves.
  /// A message whose datagram would exceed the peer's path limit goes in pieces instead.
  mutating func sealAndSend(
    _ buffer: UnsafeMutableRawBufferPointer, payloadLength: Int,
    toPeerAt p: Dictionary<PeerID, PeerState>.Index, frames: UInt64, inPlace: Bool = false,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    let limit = peers.values[p].datagramLimit()
    if TransportHeader.size + payloadLength + ChaChaPoly.tagLength > limit {
      let payload = UnsafeRawBufferPointer(
        rebasing: buffer[TransportHeader.size..<(TransportHeader.size + payloadLength)])
      return sendInPieces(
        payload, limit: limit, toPeerAt: p, frames: frames, now: now, out: &out)
    }
    sealAndSendWhole(
      buffer, payloadLength: payloadLength, toPeerAt: p, frames: frames, inPlace: inPlace,
      now: now, out: &out)
  }

  /// `sealAndSend` without the path limit: probes, pieces, and messages that fit.
  mutating func sealAndSendWhole(
    _ buffer: UnsafeMutableRawBufferPointer, payloadLength: Int,
    toPeerAt p: Dictionary<PeerID, PeerState>.Index, frames: UInt64, inPlace: Bool = false,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let index = peers.values[p].sendingSession(), let slot = keypairs.index(forKey: index)
    else {
      return drops.count(.noSession)
    }
    guard
      let length = keypairs.values[slot].seal(
        buffer, payloadLength: payloadLength, now: now, timers: configuration.timers)
    else {
      peers.values[p].drops.count(.expiredKeys)
      return drops.count(.expiredKeys)
    }
    let endpoint = peers.values[p].noteSent(now: now, bytes: payloadLength, frames: frames)
    let datagram = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
    if inPlace {
      out.sendInPlace(datagram, to: endpoint)
    } else {
      out.send(datagram, to: endpoint)
    }
  }
}
