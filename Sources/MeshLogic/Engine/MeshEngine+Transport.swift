import MeshProtocol
import MeshTypes

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
    case .handshakeInitiation, .handshakeResponse:
      admitHandshake(raw, from: source, now: now, out: &out)
    case .cookieReply: handleCookieReply(raw, now: now)
    case .forwarded: receiveForwarded(datagram, now: now, out: &out)
    }
  }

  mutating func receiveTransport(
    _ datagram: UnsafeMutableRawBufferPointer, from source: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let header = try? TransportHeader.parse(UnsafeRawBufferPointer(datagram)) else {
      return drops.count(.malformed)
    }
    // An end-to-end session's messages come only inside forwarded datagrams.
    guard let slot = keypairs.index(forKey: header.receiverIndex),
      !keypairs.values[slot].endToEnd
    else { return drops.count(.unknownIndex) }
    let sealed = UnsafeMutableRawBufferPointer(
      rebasing: datagram[
        header.ciphertextOffset..<(header.ciphertextOffset + header.ciphertextLength)])
    let (result, peerID, newlyConfirmed) = keypairs.values[slot].open(
      counter: header.counter, sealed: sealed, now: now, timers: configuration.timers)
    let plaintextLength: Int
    switch result {
    case .opened(let n): plaintextLength = n
    case .dropped(let reason):
      peers[peerID]?.drops.count(reason)
      return drops.count(reason)
    }
    if newlyConfirmed {
      // The initiator's first message on a session we answered: it holds the keys, so what
      // its initiation said can be believed now.
      if let refused = confirmResponse(header.receiverIndex, from: source, now: now, out: &out) {
        // A duplicate key's refusal was counted where it was refused.
        if refused != .duplicateKey { drops.count(refused) }
        return
      }
      install(current: header.receiverIndex, for: peerID, now: now, out: &out)
    }
    // Per-packet bookkeeping goes through the table position: no key lookups, no copies.
    guard var p = peers.index(forKey: peerID) else { return drops.count(.unknownIndex) }
    if peers.values[p].endpoint != source {
      // Rare (roaming, or a second host with this key): the slow path. A probe of another
      // endpoint (path choice) does not move the peer: it is answered where it came from.
      if plaintextLength == EndpointProbe.size, sealed[0] == InnerKind.endpointProbe.rawValue,
        case .endpointProbe(let probe)? = try? InnerMessage.parse(
          UnsafeRawBufferPointer(rebasing: sealed[0..<plaintextLength]))
      {
        peers.values[p].lastReceived = now
        return receiveEndpointProbe(probe, from: peerID, source: source, now: now, out: &out)
      }
      // On a path this host chose (path choice), traffic the peer still sends from another
      // of its known endpoints is taken without moving: it follows once it hears from us.
      if !peers.values[p].keepsChosenPath(against: source) {
        guard
          moveEndpoint(
            of: peerID, to: source, session: header.receiverIndex, now: now, out: &out),
          peers[peerID]?.endpoint == source
        else { return }
        peers[peerID]?.chosenEndpoint = nil
        // Tell the peer where it is seen now (a NAT mapping may have changed).
        sendObservedEndpoint(to: peerID, now: now, out: &out)
        guard let moved = peers.index(forKey: peerID) else { return }
        p = moved
      }
    }
    peers.values[p].lastReceived = now
    peers.values[p].rxBytes &+= UInt64(plaintextLength)

    let plaintext = UnsafeRawBufferPointer(rebasing: sealed[0..<plaintextLength])
    guard let inner = try? InnerMessage.parse(plaintext) else {
      peers.values[p].drops.count(.malformedInner)
      return drops.count(.malformedInner)
    }
    let room = UnsafeMutableRawBufferPointer(rebasing: sealed[0..<plaintextLength])
    // The datagram has a transport header's room before the plaintext and a tag's after it:
    // a relayed frame can be sealed again where it lies.
    let resealable = header.ciphertextOffset >= TransportHeader.size
    dispatchInner(inner, room, from: p, resealable: resealable, now: now, out: &out)
  }

  /// Acts on one inner message from neighbour `p`, held in `room` (a decrypted datagram, or a
  /// message put back together from pieces). `resealable` says that `room` lies in the
  /// caller's datagram buffer with `TransportHeader.size` bytes before it and a tag's room
  /// after it, which the engine may overwrite, and that the caller keeps that buffer until
  /// its send batch leaves: a frame passed on is then sealed in place (`forwardInPlace`).
  mutating func dispatchInner(
    _ inner: InnerMessage, _ room: UnsafeMutableRawBufferPointer,
    from p: Dictionary<PeerID, PeerState>.Index, resealable: Bool = false, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    switch inner {
    case .keepalive: break
    case .frame(let range):
      receiveFrame(room, range, offload: nil, relay: nil, from: p, now: now, out: &out)
    case .offloadedFrame(let v, let range):
      receiveFrame(room, range, offload: v, relay: nil, from: p, now: now, out: &out)
    case .relayedFrame(let r, let range):
      receiveFrame(
        room, range, offload: nil, relay: r, from: p, resealable: resealable, now: now,
        out: &out)
    case .relayedOffloadedFrame(let r, let v, let range):
      receiveFrame(
        room, range, offload: v, relay: r, from: p, resealable: resealable, now: now, out: &out)
    case .forwardedDatagram(let range):
      receiveForwardedInSession(
        UnsafeMutableRawBufferPointer(rebasing: room[range]), from: peers.keys[p], now: now,
        out: &out)
    case .piece(let header, let range):
      receivePiece(
        header, UnsafeRawBufferPointer(rebasing: room[range]), from: p, now: now, out: &out)
    case .gossip, .pathProbe, .observedEndpoint, .punchRequest:
      // The mesh control plane's messages.
      receiveControl(
        inner, UnsafeRawBufferPointer(room), from: peers.keys[p], now: now, out: &out)
    case .endpointProbe(let probe):
      // Reached here only from the peer's current endpoint (see `receiveTransport`).
      receiveEndpointProbe(
        probe, from: peers.keys[p], source: peers.values[p].endpoint, now: now, out: &out)
    }
  }

  /// A frame that arrived from neighbour `peer`, perhaps on behalf of another origin: learn
  /// where its source lives, hand it to the bridge if it is for us, and pass it on along the
  /// route or the origin's broadcast tree.
  /// With `resealable` (see `dispatchInner`), a frame passed on is sealed where it lies.
  mutating func receiveFrame(
    _ plaintext: UnsafeMutableRawBufferPointer, _ range: Range<Int>, offload: VirtioNetHeader?,
    relay: RelayHeader?, from p: Dictionary<PeerID, PeerState>.Index, resealable: Bool = false,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    let peer = peers.keys[p]
    let frame = UnsafeMutableRawBufferPointer(rebasing: plaintext[range])
    let dst = MACAddress(reading: UnsafeRawBufferPointer(frame), at: 0)
    let src = MACAddress(reading: UnsafeRawBufferPointer(frame), at: 6)
    if dst.isLinkLocalControl || src.isMulticast {
      peers.values[p].drops.count(.linkLocal)
      return drops.count(.linkLocal)
    }
    let origin = relay?.origin ?? peer
    guard origin != id else { return drops.count(.loop) }
    peers.values[p].rxFrames &+= 1
    if let relay, !relay.isFlood, relay.destination != id {
      // Not ours: pass it on towards its destination, without a copy when it can be.
      if resealable {
        return forwardInPlace(
          plaintext, range, offload: offload, relay: relay, now: now, out: &out)
      }
      return forward(
        UnsafeRawBufferPointer(frame), offload: offload, relay: relay, now: now, out: &out)
    }
    guard macTable.learnRemote(src, from: origin, now: now) else {
      peers.values[p].drops.count(.macConflict)
      return macConflict(origin: origin, mac: src, now: now, out: &out)
    }
    if let relay, relay.isFlood {
      forwardFlood(
        UnsafeRawBufferPointer(frame), offload: offload, origin: origin,
        hopLimit: relay.hopLimit, now: now, out: &out)
    }
    out.deliver(frame, offload: offload)
  }

  /// Switches one frame read from the TAP. The frame sits at `framePrefix` in `buffer`, which
  /// has room for `frameSuffix` more bytes after it. `offload` is the virtio-net header the
  /// TAP gave the frame, when it gives one.
  public mutating func sendFrame(
    _ buffer: UnsafeMutableRawBufferPointer, frameLength: Int, offload: VirtioNetHeader? = nil,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    precondition(buffer.count >= MeshEngine.framePrefix + frameLength + MeshEngine.frameSuffix)
    guard frameLength >= WireLimits.ethernetHeader else { return drops.count(.malformed) }
    let offload = offload.flatMap { $0.isPlain ? nil : $0 }
    let range = MeshEngine.framePrefix..<(MeshEngine.framePrefix + frameLength)
    let frame = UnsafeRawBufferPointer(rebasing: buffer[range])
    let dst = MACAddress(reading: frame, at: 0)
    let src = MACAddress(reading: frame, at: 6)
    if dst.isLinkLocalControl { return drops.count(.linkLocal) }
    macTable.learnLocal(src, now: now)
    if !dst.isMulticast, let location = macTable.lookup(dst, now: now) {
      switch location {
      case .local: return  // the bridge will deliver it; nothing crosses the mesh
      case .remote(let target):
        if let p = peers.index(forKey: target), peers.values[p].sendingSession() != nil {
          // The common case: straight to the host that owns the MAC, encrypted in place.
          return sendEncapsulated(
            buffer, frameStart: MeshEngine.framePrefix, frameLength: frameLength,
            offload: offload, relay: nil, toPeerAt: p, inPlace: true, now: now, out: &out)
        }
        if sendFrameEndToEnd(
          buffer, frameLength: frameLength, offload: offload, to: target, now: now, out: &out)
        {
          return
        }
        let relay = RelayHeader(
          origin: id, destination: target, hopLimit: MeshEngine.maxHops)
        return forward(frame, offload: offload, relay: relay, now: now, out: &out)
      }
    }
    forwardFlood(
      frame, offload: offload, origin: id, hopLimit: MeshEngine.maxHops + 1, now: now, out: &out)
  }
}

extension MeshEngine {
  /// The least time between two `macConflict` events, in seconds.
  public static let macConflictReportInterval = 10.0

  /// Counts a frame dropped because `origin` does not own its source MAC, and reports it
  /// (rate-limited) so that an operator learns of a forged source or a duplicate MAC.
  mutating func macConflict(
    origin: PeerID, mac: MACAddress, now: MeshInstant, out: inout some EngineOutput
  ) {
    drops.count(.macConflict)
    macConflictsUnreported &+= 1
    if let last = lastMACConflictReport,
      now.seconds(since: last) < MeshEngine.macConflictReportInterval
    {
      return
    }
    lastMACConflictReport = now
    out.event(.macConflict(origin, mac, count: macConflictsUnreported))
    macConflictsUnreported = 0
  }
}
