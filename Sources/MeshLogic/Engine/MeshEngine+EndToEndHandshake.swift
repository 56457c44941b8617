import MeshProtocol
import MeshTypes

/// Handshakes of end-to-end sessions: the same Noise_IXpsk2 as between neighbours, with its
/// own prologue (a message of one kind is never taken for the other), carried in forwarded
/// datagrams. What differs from a neighbour's handshake: no endpoints (the far end is reached
/// through the route, not at an address), no cookies (every hop is a member's authenticated
/// session), and the remote key must be the one of the member it was meant for.
extension MeshEngine {
  /// The most members this host keeps end-to-end sessions with.
  static let maxEndToEndLinks = MeshLimits.maxPeers
  /// How long an initiation waits for its answer, in seconds, before it is forgotten.
  static let endToEndInitiationLifetime = 10.0
  /// How long a link with no session and no attempt is kept, in seconds.
  static let endToEndLinkIdleLifetime = 600.0

  /// Starts a handshake with `target` when one is due: it is a member reached through a relay,
  /// there is no usable session or it is due for a rekey, and no initiation is in flight.
  mutating func startEndToEndIfDue(
    with target: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    if let l = endToEnd.index(forKey: target) {
      // Read in place: this runs for every frame relayed towards `target`.
      let slot = endToEnd.values[l].current.flatMap { keypairs.index(forKey: $0) }
      let due = endToEnd.values[l].wantsHandshake(
        age: slot.map { keypairs.values[$0].age(now) },
        isInitiator: slot.map { keypairs.values[$0].isInitiator } ?? true,
        sent: slot.map { keypairs.values[$0].sendCounter } ?? 0, now: now,
        timers: configuration.timers)
      guard due else { return }
    } else {
      guard endToEnd.count < MeshEngine.maxEndToEndLinks else { return }
    }
    guard let hop = nextHop(to: target), hop != target else { return }
    initiateEndToEnd(with: target, now: now, out: &out)
  }

  /// Sends a new initiation to `target` through the route.
  mutating func initiateEndToEnd(
    with target: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    var link = endToEnd[target] ?? EndToEndLink()
    link.lastAttempt = now
    link.attempts += 1
    endToEnd[target] = link
    let index = newIndex()
    guard
      var hs = try? HandshakeState(
        pattern: MeshHandshake.pattern, initiator: true,
        prologue: MeshHandshake.endToEndPrologue, localStatic: configuration.privateKey,
        localEphemeral: nil, remoteStatic: nil, psk: configuration.clusterSecrets[0]),
      let body = try? endToEndPayload().encode(),
      let noise = try? hs.writeMessage(payload: body, random: &random),
      var message = try? HandshakeInitiation(senderIndex: index, noise: noise).encode()
    else { return }
    writeMac1(&message, key: mac1Keys[0])
    if let old = link.pending {
      endToEndInitiations[old.index] = nil
    }
    endToEnd[target]?.pending = (index, hs, now)
    endToEndInitiations[index] = target
    sendForwarded(message, to: target, now: now, out: &out)
  }

  /// The payload of an end-to-end handshake message: flags and the replay timestamp.
  mutating func endToEndPayload() -> HandshakePayload {
    HandshakePayload(
      flags: handshakeFlags & MeshHandshake.flagAcceptsOffload, timestamp: nextTimestamp(),
      nickname: configuration.nickname, endpoints: [])
  }

  /// Answers an initiation that member `hop` handed on. The session waits for the initiator's
  /// first message before it is used or anything the initiation said is kept: a relay holds
  /// the cluster secret and could have forged a first message with any key in it.
  mutating func handleEndToEndInitiation(
    _ message: UnsafeRawBufferPointer, via hop: PeerID, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard let secretIndex = verifyMac1(message) else { return drops.count(.mac1) }
    guard let address = peers[hop]?.endpoint.address,
      endToEndLimiter.allow(address, now: now)
    else { return drops.count(.rateLimited) }
    guard let msg = try? HandshakeInitiation.decode(message) else {
      return drops.count(.malformed)
    }
    guard
      var hs = try? HandshakeState(
        pattern: MeshHandshake.pattern, initiator: false,
        prologue: MeshHandshake.endToEndPrologue, localStatic: configuration.privateKey,
        localEphemeral: nil, remoteStatic: nil, psk: configuration.clusterSecrets[secretIndex]),
      let payloadBytes = try? hs.readMessage(msg.noise), let remote = hs.remoteStaticKey,
      let payload = try? HandshakePayload.decode(payloadBytes)
    else { return drops.count(.handshakeFailed) }
    let peer = remote.peerID
    guard peer != id else { return drops.count(.handshakeFailed) }
    if let allowed = configuration.allowedKeys, !allowed.contains(remote) {
      return drops.count(.notAllowed)
    }
    if endToEnd[peer] == nil, endToEnd.count >= MeshEngine.maxEndToEndLinks {
      return drops.count(.rateLimited)
    }
    var link = endToEnd[peer] ?? EndToEndLink()
    guard payload.timestamp > link.lastInitiationTimestamp else {
      return drops.count(.replayedInitiation)
    }
    guard let body = try? endToEndPayload().encode(),
      let noise = try? hs.writeMessage(payload: body, random: &random),
      let keys = try? hs.splitKeys()
    else { return drops.count(.handshakeFailed) }
    hs.wipe()
    let index = newIndex()
    keypairs[index] = Keypair(
      localIndex: index, remoteIndex: msg.senderIndex, peer: peer, created: now,
      isInitiator: false, sendKey: keys.send, receiveKey: keys.receive, endToEnd: true)
    if let old = link.unconfirmed { discardKeypair(old) }
    link.unconfirmed = index
    link.unconfirmedTimestamp = payload.timestamp
    link.unconfirmedAcceptsOffload = payload.flags & MeshHandshake.flagAcceptsOffload != 0
    link.unconfirmedSince = now
    endToEnd[peer] = link
    guard
      var response = try? HandshakeResponse(
        senderIndex: index, receiverIndex: msg.senderIndex, noise: noise
      ).encode()
    else { return }
    writeMac1(&response, key: mac1Keys[secretIndex])
    sendForwarded(response, to: peer, now: now, out: &out)
  }

  /// The initiator's first message on session `index`, which this host answered, arrived:
  /// the session becomes the one frames are sealed with, and the initiation is believed.
  mutating func confirmEndToEnd(_ index: UInt32, at l: Dictionary<PeerID, EndToEndLink>.Index) {
    guard endToEnd.values[l].unconfirmed == index else { return }
    endToEnd.values[l].unconfirmed = nil
    let timestamp = endToEnd.values[l].unconfirmedTimestamp
    if timestamp > endToEnd.values[l].lastInitiationTimestamp {
      endToEnd.values[l].lastInitiationTimestamp = timestamp
    }
    endToEnd.values[l].acceptsOffload = endToEnd.values[l].unconfirmedAcceptsOffload
    let old = endToEnd.values[l].install(index)
    if let old { discardKeypair(old) }
  }

  /// Handles the answer to an end-to-end initiation: the session is ready at once, and a
  /// keepalive confirms it to the responder.
  mutating func handleEndToEndResponse(
    _ message: UnsafeRawBufferPointer, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let secretIndex = verifyMac1(message) else { return drops.count(.mac1) }
    guard let msg = try? HandshakeResponse.decode(message) else {
      return drops.count(.malformed)
    }
    guard let target = endToEndInitiations[msg.receiverIndex], var link = endToEnd[target],
      let pending = link.pending, pending.index == msg.receiverIndex
    else { return drops.count(.unknownIndex) }
    guard secretIndex == 0 else { return drops.count(.mac1) }
    var hs = pending.handshake
    guard let payloadBytes = try? hs.readMessage(msg.noise), let remote = hs.remoteStaticKey,
      remote.peerID == target, let payload = try? HandshakePayload.decode(payloadBytes),
      let keys = try? hs.splitKeys()
    else { return drops.count(.handshakeFailed) }
    hs.wipe()
    if let allowed = configuration.allowedKeys, !allowed.contains(remote) {
      return drops.count(.notAllowed)
    }
    endToEndInitiations[msg.receiverIndex] = nil
    keypairs[msg.receiverIndex] = Keypair(
      localIndex: msg.receiverIndex, remoteIndex: msg.senderIndex, peer: target, created: now,
      isInitiator: true, sendKey: keys.send, receiveKey: keys.receive, endToEnd: true)
    link.pending = nil
    link.acceptsOffload = payload.flags & MeshHandshake.flagAcceptsOffload != 0
    let old = link.install(msg.receiverIndex)
    endToEnd[target] = link
    if let old { discardKeypair(old) }
    sendEndToEndKeepalive(to: target, now: now, out: &out)
  }

  /// Sends a handshake message to `target` in a forwarded datagram, through the route.
  mutating func sendForwarded(
    _ message: [UInt8], to target: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let (p, hopSlot) = forwardingHop(towards: target, now: now) else {
      return drops.count(.noRoute)
    }
    let length = ForwardHeader.size + message.count
    let s = scratch.bytes
    message.withUnsafeBytes {
      UnsafeMutableRawBufferPointer(rebasing: s[ForwardHeader.size..<length]).copyMemory(from: $0)
    }
    let datagram = UnsafeMutableRawBufferPointer(rebasing: s[0..<length])
    ForwardHeader(
      receiverIndex: 0, counter: 0, destination: target, hopLimit: MeshEngine.maxHops,
      innerLength: message.count
    ).write(into: datagram)
    sendForwardedDatagram(
      datagram, toPeerAt: p, session: hopSlot, bytes: message.count, frames: 0, inPlace: false,
      now: now, out: &out)
  }

  /// Forgets expired sessions, unanswered initiations and unconfirmed answers of end-to-end
  /// links, and links left with nothing for a long time.
  mutating func expireEndToEnd(now: MeshInstant) {
    let timers = configuration.timers
    for (peer, var link) in endToEnd {
      for index in link.indexes
      where keypairs[index].map({ $0.age(now) >= timers.rejectAfterTime }) ?? true {
        discardKeypair(index)
        link.forget(index)
      }
      if let u = link.unconfirmed,
        now.seconds(since: link.unconfirmedSince) >= MeshEngine.pendingResponseLifetime
      {
        discardKeypair(u)
        link.unconfirmed = nil
      }
      if let pending = link.pending,
        now.seconds(since: pending.sent) >= MeshEngine.endToEndInitiationLifetime
      {
        endToEndInitiations[pending.index] = nil
        link.pending = nil
      }
      if link.indexes.isEmpty, link.pending == nil,
        now.seconds(since: link.lastAttempt ?? now) >= MeshEngine.endToEndLinkIdleLifetime
      {
        endToEnd[peer] = nil
      } else {
        endToEnd[peer] = link
      }
    }
  }
}
