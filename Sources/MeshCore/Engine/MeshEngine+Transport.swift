/// The data path: datagrams in, frames out, and frames in, datagrams out. Encryption and
/// decryption happen in place in the caller's buffer; nothing here allocates per packet.
extension MeshEngine {
  /// Handles one datagram from the underlay. The buffer is decrypted in place.
  public mutating func receive(
    _ datagram: UnsafeMutableRawBufferPointer, from source: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let raw = UnsafeRawBufferPointer(datagram)
    guard let type = try? WireMessageType.peek(raw) else { return drops.count(.malformed) }
    switch type {
    case .transport: receiveTransport(datagram, from: source, now: now, out: &out)
    case .handshakeInitiation: handleInitiation(raw, from: source, now: now, out: &out)
    case .handshakeResponse: handleResponse(raw, from: source, now: now, out: &out)
    case .cookieReply: drops.count(.unknownIndex)
    }
  }

  mutating func receiveTransport(
    _ datagram: UnsafeMutableRawBufferPointer, from source: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let header = try? TransportHeader.parse(UnsafeRawBufferPointer(datagram)) else {
      return drops.count(.malformed)
    }
    guard let slot = keypairs.index(forKey: header.receiverIndex) else {
      return drops.count(.unknownIndex)
    }
    let peerID = keypairs.values[slot].peer
    let sealed = UnsafeMutableRawBufferPointer(
      rebasing: datagram[header.ciphertextOffset..<(header.ciphertextOffset + header.ciphertextLength)])
    let result = keypairs.values[slot].open(
      counter: header.counter, sealed: sealed, now: now, timers: configuration.timers)
    let plaintextLength: Int
    switch result {
    case .opened(let n): plaintextLength = n
    case .dropped(let reason):
      peers[peerID]?.drops.count(reason)
      return drops.count(reason)
    }
    let confirmsNext = !keypairs.values[slot].confirmed
    guard peers[peerID] != nil else { return drops.count(.unknownIndex) }
    if confirmsNext {
      keypairs.values[slot].confirmed = true
      install(current: header.receiverIndex, for: peerID, now: now, out: &out)
    }
    if peers[peerID]!.endpoint != source {
      peers[peerID]!.endpoint = source
      endpointsVersion &+= 1
      out.event(.endpointChanged(peerID, source))
    }
    peers[peerID]!.lastReceived = now
    peers[peerID]!.rxBytes &+= UInt64(plaintextLength)

    let plaintext = UnsafeRawBufferPointer(rebasing: sealed[0..<plaintextLength])
    guard let inner = try? InnerMessage.parse(plaintext) else {
      peers[peerID]!.drops.count(.malformedInner)
      return drops.count(.malformedInner)
    }
    switch inner {
    case .keepalive: break
    case .frame(let range):
      let frame = UnsafeRawBufferPointer(rebasing: plaintext[range])
      receiveFrame(frame, from: peerID, now: now, out: &out)
    default:
      // Relayed frames, gossip and path probes belong to the mesh layer.
      break
    }
  }

  /// A frame that arrived from `peer`: learn where its source lives and hand it to the bridge.
  mutating func receiveFrame(
    _ frame: UnsafeRawBufferPointer, from peer: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let dst = MACAddress(reading: frame, at: 0)
    let src = MACAddress(reading: frame, at: 6)
    if dst.isLinkLocalControl || src.isMulticast {
      peers[peer]?.drops.count(.linkLocal)
      return drops.count(.linkLocal)
    }
    macTable.learn(src, at: .remote(peer), now: now)
    peers[peer]?.rxFrames &+= 1
    out.deliver(frame)
  }

  /// Switches one frame read from the TAP. The frame sits at `framePrefix` in `buffer`, which
  /// has room for `frameSuffix` more bytes after it.
  public mutating func sendFrame(
    _ buffer: UnsafeMutableRawBufferPointer, frameLength: Int, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    precondition(buffer.count >= MeshEngine.framePrefix + frameLength + MeshEngine.frameSuffix)
    guard frameLength >= 14 else { return drops.count(.malformed) }
    let frame = UnsafeRawBufferPointer(
      rebasing: buffer[MeshEngine.framePrefix..<(MeshEngine.framePrefix + frameLength)])
    let dst = MACAddress(reading: frame, at: 0)
    let src = MACAddress(reading: frame, at: 6)
    if dst.isLinkLocalControl { return drops.count(.linkLocal) }
    guard macTable.learn(src, at: .local, now: now) else { return drops.count(.loop) }
    if !dst.isMulticast, let location = macTable.lookup(dst, now: now) {
      switch location {
      case .local: return  // the bridge will deliver it; nothing crosses the mesh
      case .remote(let peer):
        buffer[TransportHeader.size] = InnerKind.frame.rawValue
        return sealAndSend(
          buffer, payloadLength: 1 + frameLength, to: peer, frames: 1, now: now, out: &out)
      }
    }
    flood(frame, now: now, out: &out)
  }

  /// Sends a copy of a broadcast, multicast or unknown-unicast frame to every peer with a
  /// session. In a full mesh that is the origin's broadcast tree: each host gets one copy.
  mutating func flood(_ frame: UnsafeRawBufferPointer, now: MeshInstant, out: inout some EngineOutput)
  {
    var sent = false
    var p = peers.startIndex
    while p != peers.endIndex {
      if peers.values[p].current != nil {
        let s = scratch.bytes
        s[TransportHeader.size] = InnerKind.frame.rawValue
        UnsafeMutableRawBufferPointer(rebasing: s[MeshEngine.framePrefix...]).copyMemory(
          from: frame)
        sealAndSend(s, payloadLength: 1 + frame.count, toPeerAt: p, frames: 1, now: now, out: &out)
        sent = true
      }
      peers.formIndex(after: &p)
    }
    if !sent { drops.count(.noSession) }
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
    sealAndSend(buffer, payloadLength: payloadLength, toPeerAt: p, frames: frames, now: now, out: &out)
  }

  /// `sealAndSend` for a peer given by its position in the table, so that loops over the table
  /// can send without copying it.
  mutating func sealAndSend(
    _ buffer: UnsafeMutableRawBufferPointer, payloadLength: Int,
    toPeerAt p: Dictionary<PeerID, PeerState>.Index, frames: UInt64, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let index = peers.values[p].current, let slot = keypairs.index(forKey: index) else {
      return drops.count(.noSession)
    }
    guard
      let length = keypairs.values[slot].seal(
        buffer, payloadLength: payloadLength, now: now, timers: configuration.timers)
    else {
      peers.values[p].drops.count(.expiredKeys)
      return drops.count(.expiredKeys)
    }
    peers.values[p].lastSent = now
    peers.values[p].txBytes &+= UInt64(payloadLength)
    peers.values[p].txFrames &+= frames
    out.send(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), to: peers.values[p].endpoint)
  }
}
