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

  /// Sends a copy of a frame to each of this host's children in `origin`'s broadcast tree,
  /// so that every host gets exactly one copy.
  mutating func forwardFlood(
    _ frame: UnsafeRawBufferPointer, offload: VirtioNetHeader?, origin: PeerID, hopLimit: UInt8,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard hopLimit > 1 else { return drops.count(.hopLimit) }
    let relay = RelayHeader(origin: origin, destination: RelayHeader.flood, hopLimit: hopLimit - 1)
    var sent = false
    for child in floodTargets(origin: origin) {
      guard let p = peers.index(forKey: child), peers.values[p].current != nil else { continue }
      let s = scratch.bytes
      UnsafeMutableRawBufferPointer(rebasing: s[MeshEngine.framePrefix...]).copyMemory(
        from: frame)
      sendEncapsulated(
        s, frameStart: MeshEngine.framePrefix, frameLength: frame.count, offload: offload,
        relay: relay, toPeerAt: p, now: now, out: &out)
      sent = true
    }
    if !sent, origin == id { drops.count(.noSession) }
  }

  /// Passes a unicast frame one hop towards `relay.destination`.
  mutating func forward(
    _ frame: UnsafeRawBufferPointer, offload: VirtioNetHeader?, relay: RelayHeader,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard relay.hopLimit > 1 || relay.origin == id else { return drops.count(.hopLimit) }
    guard let hop = nextHop(to: relay.destination), let p = peers.index(forKey: hop),
      peers.values[p].current != nil
    else { return drops.count(.noRoute) }
    var next = relay
    if relay.origin != id { next.hopLimit -= 1 }
    let s = scratch.bytes
    UnsafeMutableRawBufferPointer(rebasing: s[MeshEngine.framePrefix...]).copyMemory(from: frame)
    sendEncapsulated(
      s, frameStart: MeshEngine.framePrefix, frameLength: frame.count, offload: offload,
      relay: next, toPeerAt: p, now: now, out: &out)
  }

  /// `forward` for a frame received from another host that lies at `range` in `plaintext`,
  /// a decrypted datagram with a transport header's room before it and a tag's after it (see
  /// `dispatchInner`). The headers of the next hop's message are as long as those it came
  /// with, so it is sealed in that buffer, with no copy, and handed to the output as
  /// `sendInPlace`: a batch of relayed datagrams can leave in one system call like frames
  /// from the TAP, and an offloaded frame stays one message across the hop.
  mutating func forwardInPlace(
    _ plaintext: UnsafeMutableRawBufferPointer, _ range: Range<Int>, offload: VirtioNetHeader?,
    relay: RelayHeader, now: MeshInstant, out: inout some EngineOutput
  ) {
    let headroom = TransportHeader.size
    let frameStart = headroom + range.lowerBound
    // The relay header counts the kind byte.
    let needed =
      TransportHeader.size + RelayHeader.size + (offload == nil ? 0 : VirtioNetHeader.size)
    guard relay.origin != id, frameStart >= needed, let base = plaintext.baseAddress else {
      return forward(
        UnsafeRawBufferPointer(rebasing: plaintext[range]), offload: offload, relay: relay,
        now: now, out: &out)
    }
    guard relay.hopLimit > 1 else { return drops.count(.hopLimit) }
    guard let hop = nextHop(to: relay.destination), let p = peers.index(forKey: hop),
      peers.values[p].current != nil
    else { return drops.count(.noRoute) }
    var next = relay
    next.hopLimit -= 1
    let buffer = UnsafeMutableRawBufferPointer(
      start: base - headroom, count: headroom + range.upperBound + ChaChaPoly.tagLength)
    sendEncapsulated(
      buffer, frameStart: frameStart, frameLength: range.count, offload: offload, relay: next,
      toPeerAt: p, inPlace: true, now: now, out: &out)
  }

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
