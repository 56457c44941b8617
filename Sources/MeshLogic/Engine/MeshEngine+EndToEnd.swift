import MeshProtocol
import MeshTypes

/// End-to-end sessions through relays (`EndToEndLink`): frames sealed for the far member and
/// forwarded datagrams (type 5) that relays pass on without opening them.
extension MeshEngine {
  /// Sends a frame from the TAP (at `framePrefix` in `buffer`) to `target` end to end when a
  /// session allows; false, with the frame untouched, when it must be relayed hop by hop. A
  /// handshake with `target` is started here when one is due, so the next frames can go end
  /// to end.
  mutating func sendFrameEndToEnd(
    _ buffer: UnsafeMutableRawBufferPointer, frameLength: Int, offload: VirtioNetHeader?,
    to target: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) -> Bool {
    guard configuration.startsEndToEndSessions else { return false }
    startEndToEndIfDue(with: target, now: now, out: &out)
    guard let l = endToEnd.index(forKey: target), endToEnd.values[l].current != nil else {
      return false
    }
    var start = MeshEngine.framePrefix
    if let offload {
      guard endToEnd.values[l].acceptsOffload else { return false }
      start -= VirtioNetHeader.size
      offload.write(into: UnsafeMutableRawBufferPointer(rebasing: buffer[start...]))
    }
    start -= 1
    buffer[start] = (offload == nil ? InnerKind.frame : InnerKind.offloadedFrame).rawValue
    return sealAndForward(
      buffer, payloadStart: start, payloadLength: MeshEngine.framePrefix + frameLength - start,
      link: l, frames: 1, inPlace: true, now: now, out: &out)
  }

  /// Seals the `payloadLength` bytes at `payloadStart` in `buffer` in the session of the
  /// end-to-end link at `l`, puts a forwarded header for the first hop in front (`buffer` has
  /// `endToEndOverhead` bytes before `payloadStart`, and a tag's room after the payload), tags
  /// it for that hop and sends it. Returns false, having changed nothing, when there is no
  /// usable session, no route, or the datagram would not go whole to the first hop.
  /// `inPlace` as for `sealAndSend`.
  mutating func sealAndForward(
    _ buffer: UnsafeMutableRawBufferPointer, payloadStart: Int, payloadLength: Int,
    link l: Dictionary<PeerID, EndToEndLink>.Index, frames: UInt64, inPlace: Bool,
    now: MeshInstant, out: inout some EngineOutput
  ) -> Bool {
    let timers = configuration.timers
    let target = endToEnd.keys[l]
    guard let index = endToEnd.values[l].current, let slot = keypairs.index(forKey: index),
      keypairs.values[slot].isUsable(now, timers),
      let (p, hopSlot) = forwardingHop(towards: target, now: now)
    else { return false }
    let innerBase = payloadStart - TransportHeader.size
    let base = innerBase - ForwardHeader.size
    precondition(base >= 0, "no room for the forwarded and transport headers")
    let innerLength = TransportHeader.size + payloadLength + ChaChaPoly.tagLength
    guard
      ForwardHeader.size + innerLength
        <= min(peers.values[p].datagramLimit(), ForwardHeader.maxInSession)
    else { return false }
    guard
      let sealed = keypairs.values[slot].seal(
        UnsafeMutableRawBufferPointer(rebasing: buffer[innerBase...]),
        payloadLength: payloadLength, now: now, timers: timers)
    else { return false }
    let datagram = UnsafeMutableRawBufferPointer(
      rebasing: buffer[base..<(innerBase + sealed)])
    ForwardHeader(
      receiverIndex: 0, counter: 0, destination: target, hopLimit: MeshEngine.maxHops,
      innerLength: sealed
    ).write(into: datagram)
    endToEnd.values[l].txFrames &+= frames
    sendForwardedDatagram(
      datagram, toPeerAt: p, session: hopSlot, bytes: payloadLength, frames: frames,
      inPlace: inPlace, now: now, out: &out)
    return true
  }

  /// The next hop towards `destination`, unless it is `excluded`, when its session can tag a
  /// forwarded datagram now: its positions in the peer and session tables.
  mutating func forwardingHop(
    towards destination: PeerID, excluding excluded: PeerID? = nil, now: MeshInstant
  ) -> (peer: Dictionary<PeerID, PeerState>.Index, session: Dictionary<UInt32, Keypair>.Index)? {
    guard let hop = nextHop(to: destination), hop != excluded,
      let p = peers.index(forKey: hop), let index = peers.values[p].sendingSession(),
      let slot = keypairs.index(forKey: index),
      keypairs.values[slot].isUsable(now, configuration.timers)
    else { return nil }
    return (p, slot)
  }

  /// Tags a forwarded datagram, its other fields in place, for the session at `slot` (checked
  /// usable by `forwardingHop`) and sends it to the neighbour at `p`, counting `bytes` and
  /// `frames` as sent to it. `inPlace` as for `sealAndSend`.
  mutating func sendForwardedDatagram(
    _ datagram: UnsafeMutableRawBufferPointer, toPeerAt p: Dictionary<PeerID, PeerState>.Index,
    session slot: Dictionary<UInt32, Keypair>.Index, bytes: Int, frames: UInt64, inPlace: Bool,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    let tagged = keypairs.values[slot].tagForwarded(
      datagram, now: now, timers: configuration.timers)
    precondition(tagged, "the hop session was checked usable")
    let endpoint = peers.values[p].noteSent(now: now, bytes: bytes, frames: frames)
    if inPlace {
      out.sendInPlace(UnsafeRawBufferPointer(datagram), to: endpoint)
    } else {
      out.send(UnsafeRawBufferPointer(datagram), to: endpoint)
    }
  }

  /// Bytes an end-to-end message needs before its payload: the forwarded header and the
  /// end-to-end transport header.
  public static let endToEndOverhead = ForwardHeader.size + TransportHeader.size

  /// Sends an end-to-end keepalive: the initiator's confirmation of a new session.
  mutating func sendEndToEndKeepalive(
    to target: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let l = endToEnd.index(forKey: target) else { return }
    let s = scratch.bytes
    s[MeshEngine.endToEndOverhead] = InnerKind.keepalive.rawValue
    _ = sealAndForward(
      s, payloadStart: MeshEngine.endToEndOverhead, payloadLength: 1, link: l, frames: 0,
      inPlace: false, now: now, out: &out)
  }

  /// Handles a forwarded datagram from a neighbour: checks its hop tag, then opens the inner
  /// datagram when it is for this host, or passes it on, untouched but for the hop fields,
  /// towards its destination. The buffer is the caller's received datagram, which it keeps
  /// until its send batch leaves (as for `forwardInPlace`).
  mutating func receiveForwarded(
    _ datagram: UnsafeMutableRawBufferPointer, now: MeshInstant, out: inout some EngineOutput
  ) {
    let raw = UnsafeRawBufferPointer(datagram)
    guard let header = try? ForwardHeader.parse(raw) else { return drops.count(.malformed) }
    // Only a neighbour's session carries forwarded datagrams.
    guard let slot = keypairs.index(forKey: header.receiverIndex),
      !keypairs.values[slot].endToEnd
    else { return drops.count(.unknownIndex) }
    let from = keypairs.values[slot].peer
    let checked = keypairs.values[slot].checkForwarded(
      raw, counter: header.counter, now: now, timers: configuration.timers)
    if case .dropped(let reason) = checked {
      peers[from]?.drops.count(reason)
      return drops.count(reason)
    }
    guard let p = peers.index(forKey: from) else { return drops.count(.unknownIndex) }
    peers.values[p].lastReceived = now
    peers.values[p].rxBytes &+= UInt64(header.innerLength)
    routeForwarded(datagram, header, from: from, inPlace: true, now: now, out: &out)
  }

  /// Opens a forwarded datagram from neighbour `from` whose hop is authenticated, when it is
  /// for this host, or passes it on: sealed for the next hop's session, with a new hop tag,
  /// in place when `inPlace` (the caller's received datagram, as for `forwardInPlace`), or
  /// inside that session (inner kind 13, in pieces) when the path to the next hop does not
  /// take it whole.
  mutating func routeForwarded(
    _ datagram: UnsafeMutableRawBufferPointer, _ header: ForwardHeader, from: PeerID,
    inPlace: Bool, now: MeshInstant, out: inout some EngineOutput
  ) {
    if header.destination == id {
      let inner = UnsafeMutableRawBufferPointer(rebasing: datagram[header.innerRange])
      return receiveEndToEnd(inner, via: from, now: now, out: &out)
    }
    guard header.hopLimit > 1 else { return drops.count(.hopLimit) }
    guard let (q, hopSlot) = forwardingHop(towards: header.destination, excluding: from, now: now)
    else { return drops.count(.noRoute) }
    datagram[24] = header.hopLimit - 1
    forwardedDatagrams &+= 1
    guard datagram.count <= peers.values[q].datagramLimit() else {
      return forwardInSession(UnsafeRawBufferPointer(datagram), toPeerAt: q, now: now, out: &out)
    }
    sendForwardedDatagram(
      datagram, toPeerAt: q, session: hopSlot, bytes: header.innerLength, frames: 1,
      inPlace: inPlace, now: now, out: &out)
  }

  /// Sends a forwarded datagram inside the session of neighbour `q` (inner kind 13), which
  /// cuts it into pieces for a path that takes no datagram that large.
  mutating func forwardInSession(
    _ datagram: UnsafeRawBufferPointer, toPeerAt q: Dictionary<PeerID, PeerState>.Index,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard datagram.count <= ForwardHeader.maxInSession else {
      return drops.count(.forwardTooLarge)
    }
    let s = scratch.bytes
    s[TransportHeader.size] = InnerKind.forwardedDatagram.rawValue
    UnsafeMutableRawBufferPointer(
      rebasing: s[(TransportHeader.size + 1)..<(TransportHeader.size + 1 + datagram.count)]
    ).copyMemory(from: datagram)
    sealAndSend(s, payloadLength: 1 + datagram.count, toPeerAt: q, frames: 1, now: now, out: &out)
  }

  /// A forwarded datagram that neighbour `peer` sent inside its session (inner kind 13):
  /// the session authenticated the hop, so its hop fields are not checked.
  mutating func receiveForwardedInSession(
    _ datagram: UnsafeMutableRawBufferPointer, from peer: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let header = try? ForwardHeader.parse(UnsafeRawBufferPointer(datagram)) else {
      return drops.count(.malformedInner)
    }
    routeForwarded(datagram, header, from: peer, inPlace: false, now: now, out: &out)
  }

  /// Handles the inner datagram of a forwarded datagram for this host, which neighbour `hop`
  /// handed on.
  mutating func receiveEndToEnd(
    _ inner: UnsafeMutableRawBufferPointer, via hop: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let raw = UnsafeRawBufferPointer(inner)
    switch try? WireMessageType.peek(raw) {
    case .transport: receiveEndToEndTransport(inner, now: now, out: &out)
    case .handshakeInitiation: handleEndToEndInitiation(raw, via: hop, now: now, out: &out)
    case .handshakeResponse: handleEndToEndResponse(raw, now: now, out: &out)
    default: drops.count(.malformed)
    }
  }

  /// Opens an end-to-end transport message and delivers its frame. Only frames and
  /// keepalives travel end to end; the control plane stays between neighbours.
  mutating func receiveEndToEndTransport(
    _ datagram: UnsafeMutableRawBufferPointer, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let header = try? TransportHeader.parse(UnsafeRawBufferPointer(datagram)) else {
      return drops.count(.malformed)
    }
    guard let slot = keypairs.index(forKey: header.receiverIndex),
      keypairs.values[slot].endToEnd
    else { return drops.count(.unknownIndex) }
    let sealed = UnsafeMutableRawBufferPointer(rebasing: datagram[header.ciphertextRange])
    let (result, peer, newlyConfirmed) = keypairs.values[slot].open(
      counter: header.counter, sealed: sealed, now: now, timers: configuration.timers)
    let length: Int
    switch result {
    case .opened(let n): length = n
    case .dropped(let reason): return drops.count(reason)
    }
    guard let l = endToEnd.index(forKey: peer) else { return drops.count(.unknownIndex) }
    if newlyConfirmed { confirmEndToEnd(header.receiverIndex, at: l) }
    let plaintext = UnsafeMutableRawBufferPointer(rebasing: sealed[0..<length])
    switch try? InnerMessage.parse(UnsafeRawBufferPointer(plaintext)) {
    case .keepalive: return
    case .frame(let range):
      receiveEndToEndFrame(plaintext, range, offload: nil, from: peer, link: l, now: now, out: &out)
    case .offloadedFrame(let v, let range):
      receiveEndToEndFrame(plaintext, range, offload: v, from: peer, link: l, now: now, out: &out)
    default: drops.count(.malformedInner)
    }
  }

  /// Delivers a frame that `peer` sealed itself: its source MAC is learnt as `peer`'s, which
  /// the key proved, not from a header a relay wrote.
  mutating func receiveEndToEndFrame(
    _ plaintext: UnsafeMutableRawBufferPointer, _ range: Range<Int>, offload: VirtioNetHeader?,
    from peer: PeerID, link l: Dictionary<PeerID, EndToEndLink>.Index, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    let frame = UnsafeMutableRawBufferPointer(rebasing: plaintext[range])
    let dst = MACAddress(reading: UnsafeRawBufferPointer(frame), at: 0)
    let src = MACAddress(reading: UnsafeRawBufferPointer(frame), at: 6)
    if dst.isLinkLocalControl || src.isMulticast { return drops.count(.linkLocal) }
    guard macTable.learnRemote(src, from: peer, now: now) else {
      return macConflict(origin: peer, mac: src, now: now, out: &out)
    }
    endToEnd.values[l].rxFrames &+= 1
    out.deliver(frame, offload: offload)
  }
}
