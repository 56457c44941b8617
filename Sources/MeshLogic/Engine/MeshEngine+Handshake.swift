import MeshProtocol
import MeshTypes

/// Handshakes: Noise_IXpsk2 with the cluster secret as PSK, mac1 before any Diffie-Hellman,
/// wall-clock timestamps against replayed initiations.
extension MeshEngine {
  /// Who a handshake is for: a known peer, or an endpoint whose key we will learn.
  enum HandshakeTarget {
    case peer(PeerID)
    case dial(Endpoint)
  }

  /// Sends a new initiation to `target`, replacing any still in flight.
  mutating func initiate(_ target: HandshakeTarget, now: MeshInstant, out: inout some EngineOutput)
  {
    let endpoint: Endpoint
    switch target {
    case .peer(let id):
      guard let p = peers[id] else { return }
      endpoint = p.endpoint
      if let old = p.pendingInitiation { initiations[old] = nil }
    case .dial(let ep):
      guard let d = dials[ep] else { return }
      endpoint = ep
      if let old = d.pendingInitiation { initiations[old] = nil }
    }
    let index = newIndex()
    guard
      var hs = try? HandshakeState(
        pattern: MeshHandshake.pattern, initiator: true, prologue: MeshHandshake.prologue,
        localStatic: configuration.privateKey, localEphemeral: nil, remoteStatic: nil,
        psk: configuration.clusterSecrets[0])
    else { return }
    let payload = HandshakePayload(
      flags: handshakeFlags,
      timestamp: nextTimestamp(), nickname: configuration.nickname,
      endpoints: Array(configuration.advertisedEndpoints.prefix(WireLimits.maxEndpoints)))
    guard let body = try? payload.encode(),
      let noise = try? hs.writeMessage(payload: body, random: &random)
    else {
      return
    }
    guard var message = try? HandshakeInitiation(senderIndex: index, noise: noise).encode() else {
      return
    }
    let mac1 = stampMacs(&message, secretIndex: 0, to: endpoint, now: now)
    var learnedFrom: PeerID?
    if case .dial(let ep) = target { learnedFrom = dials[ep]?.learnedFrom }
    initiations[index] = PendingInitiation(
      handshake: hs, secretIndex: 0, endpoint: endpoint, sent: now, mac1: mac1,
      learnedFrom: learnedFrom)
    switch target {
    case .peer(let id):
      peers[id]?.pendingInitiation = index
      peers[id]?.lastSent = now
    case .dial(let ep): dials[ep]?.pendingInitiation = index
    }
    out.event(.handshakeStarted(endpoint))
    message.withUnsafeBytes { out.send($0, to: endpoint) }
  }

  /// Handles message 1 from a would-be peer: verify, answer, and hold the new session until the
  /// initiator confirms it by sending.
  mutating func handleInitiation(
    _ datagram: UnsafeRawBufferPointer, from source: Endpoint, secretIndex: Int,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let msg = try? HandshakeInitiation.decode(datagram) else {
      return drops.count(.malformed)
    }
    guard
      var hs = try? HandshakeState(
        pattern: MeshHandshake.pattern, initiator: false, prologue: MeshHandshake.prologue,
        localStatic: configuration.privateKey, localEphemeral: nil, remoteStatic: nil,
        psk: configuration.clusterSecrets[secretIndex])
    else { return drops.count(.handshakeFailed) }
    guard let payloadBytes = try? hs.readMessage(msg.noise), let remote = hs.remoteStaticKey,
      let payload = try? HandshakePayload.decode(payloadBytes)
    else { return drops.count(.handshakeFailed) }
    let peerID = remote.peerID
    guard peerID != id else {
      // Our own initiation, come back: whatever we dialled is this host.
      dialledSelf(initiation: msg.senderIndex, out: &out)
      return drops.count(.handshakeFailed)
    }
    if let allowed = configuration.allowedKeys, !allowed.contains(remote) {
      return drops.count(.notAllowed)
    }
    // A second host with this peer's key, held off: answering would start a session only
    // the clone holds.
    if refusesDuplicate(peerID, from: source, now: now, out: &out) { return }
    if let p = peers[peerID], payload.timestamp <= p.lastInitiationTimestamp {
      peers[peerID]?.drops.count(.replayedInitiation)
      return drops.count(.replayedInitiation)
    }
    let reply = HandshakePayload(
      flags: handshakeFlags,
      timestamp: nextTimestamp(), nickname: configuration.nickname,
      endpoints: Array(configuration.advertisedEndpoints.prefix(WireLimits.maxEndpoints)))
    guard let body = try? reply.encode(),
      let noise = try? hs.writeMessage(payload: body, random: &random),
      let keys = try? hs.splitKeys()
    else { return drops.count(.handshakeFailed) }
    hs.wipe()

    let index = newIndex()
    let keypair = Keypair(
      localIndex: index, remoteIndex: msg.senderIndex, peer: peerID, created: now,
      isInitiator: false, sendKey: keys.send, receiveKey: keys.receive)
    keypairs[index] = keypair
    // Nothing the initiation says is committed until the initiator proves its key (see
    // `PendingResponse`). Only an answer to where the peer already is may make this host wait
    // for the confirmation instead of starting its own handshake: an initiation from
    // elsewhere, perhaps forged, must not hold back this host's own attempts.
    holdResponse(
      index,
      PendingResponse(
        peer: peerID, key: remote, payload: payload, source: source, answered: now))
    let fromKnownEndpoint = peers[peerID]?.endpoint == source
    if fromKnownEndpoint { peers[peerID]?.next = index }

    guard
      var response = try? HandshakeResponse(
        senderIndex: index, receiverIndex: msg.senderIndex, noise: noise
      ).encode()
    else { return }
    stampMacs(&response, secretIndex: secretIndex, to: source, now: now)
    if fromKnownEndpoint { peers[peerID]?.lastSent = now }
    response.withUnsafeBytes { out.send($0, to: source) }
  }

  /// Handles message 2, the answer to our initiation: the session is ready for sending at once.
  mutating func handleResponse(
    _ datagram: UnsafeRawBufferPointer, from source: Endpoint, secretIndex: Int,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard let msg = try? HandshakeResponse.decode(datagram) else {
      return drops.count(.malformed)
    }
    guard let pending = initiations[msg.receiverIndex] else { return drops.count(.unknownIndex) }
    guard secretIndex == pending.secretIndex else {
      drops.count(.mac1)
      return refuseHandshake(.presharedKey, from: source, now: now, out: &out)
    }
    var hs = pending.handshake
    guard let payloadBytes = try? hs.readMessage(msg.noise), let remote = hs.remoteStaticKey,
      let payload = try? HandshakePayload.decode(payloadBytes), let keys = try? hs.splitKeys()
    else {
      drops.count(.handshakeFailed)
      return refuseHandshake(.presharedKey, from: source, now: now, out: &out)
    }
    hs.wipe()
    initiations[msg.receiverIndex] = nil
    let peerID = remote.peerID
    guard peerID != id else { return drops.count(.handshakeFailed) }
    if let allowed = configuration.allowedKeys, !allowed.contains(remote) {
      return drops.count(.notAllowed)
    }
    if refusesDuplicate(peerID, from: source, now: now, out: &out) { return }
    // The dial that led here has found its peer.
    if let d = dials[pending.endpoint], d.pendingInitiation == msg.receiverIndex {
      dials[pending.endpoint] = nil
    }
    guard
      upsertPeer(
        peerID, key: remote, payload: payload, source: source, session: msg.receiverIndex,
        now: now, out: &out)
    else { return }
    if peers[peerID]?.pendingInitiation == msg.receiverIndex {
      peers[peerID]?.pendingInitiation = nil
    }
    peers[peerID]?.answeredEndpoint = source
    if pending.learnedFrom != nil, peers[peerID]?.isUp == false { peers[peerID]?.punched = true }
    let keypair = Keypair(
      localIndex: msg.receiverIndex, remoteIndex: msg.senderIndex, peer: peerID, created: now,
      isInitiator: true, sendKey: keys.send, receiveKey: keys.receive)
    keypairs[msg.receiverIndex] = keypair
    install(current: msg.receiverIndex, for: peerID, now: now, out: &out)
    // Confirm the session to the responder, which sends nothing until it hears from us.
    sendKeepalive(to: peerID, now: now, out: &out)
  }

  /// The most answered initiations held at once, awaiting their initiators' confirmation;
  /// past it the oldest is dropped. Far above what honest peers need at any moment.
  static let maxPendingResponses = 1024
  /// How long an answered initiation waits for its confirmation, in seconds; an initiator
  /// confirms at once, so this is three of its retry intervals.
  static let pendingResponseLifetime = 15.0

  /// Holds an answered initiation until its initiator proves its key.
  mutating func holdResponse(_ index: UInt32, _ response: PendingResponse) {
    if pendingResponses.count >= MeshEngine.maxPendingResponses,
      let oldest = pendingResponses.min(by: { $0.value.answered < $1.value.answered })?.key
    {
      dropPendingResponse(oldest)
    }
    pendingResponses[index] = response
  }

  /// The first authenticated message on session `index` arrived from `source`: commits what
  /// its initiation said (the replay timestamp, where the peer is, its name and endpoints).
  /// Returns why the message must be dropped when the peer may no longer be admitted (the
  /// allow-list changed, or `source` is a second host with its key), else nil.
  mutating func confirmResponse(
    _ index: UInt32, from source: Endpoint, now: MeshInstant, out: inout some EngineOutput
  ) -> DropReason? {
    guard let held = pendingResponses.removeValue(forKey: index) else { return nil }
    if let allowed = configuration.allowedKeys, !allowed.contains(held.key) {
      discardKeypair(index)
      return .notAllowed
    }
    guard
      upsertPeer(
        held.peer, key: held.key, payload: held.payload, source: source, session: index,
        now: now, out: &out)
    else {
      if peers[held.peer]?.next == index { peers[held.peer]?.next = nil }
      discardKeypair(index)
      return .duplicateKey
    }
    if let p = peers[held.peer], held.payload.timestamp > p.lastInitiationTimestamp {
      peers[held.peer]?.lastInitiationTimestamp = held.payload.timestamp
    }
    return nil
  }

  /// Forgets an answered initiation that was never confirmed, and its session's keys.
  mutating func dropPendingResponse(_ index: UInt32) {
    guard let held = pendingResponses.removeValue(forKey: index) else { return }
    if peers[held.peer]?.next == index { peers[held.peer]?.next = nil }
    discardKeypair(index)
  }

  /// Drops answered initiations whose confirmation never came.
  mutating func expirePendingResponses(now: MeshInstant) {
    for (index, held) in pendingResponses
    where now.seconds(since: held.answered) >= MeshEngine.pendingResponseLifetime {
      dropPendingResponse(index)
    }
  }

  /// Makes `index` the peer's sending session, keeping the old one for late packets.
  mutating func install(
    current index: UInt32, for peerID: PeerID, now: MeshInstant, out: inout some EngineOutput
  ) {
    guard var p = peers[peerID] else { return }
    if let old = p.previous, old != index { discardKeypair(old) }
    p.previous = p.current == index ? p.previous : p.current
    if p.next == index { p.next = nil }
    p.current = index
    p.lastHandshake = now
    p.handshakesCompleted += 1
    let wasUp = p.phase.handshakeCompleted(now: now)
    if !wasUp {
      localRecordDirty = true
      p.attempts = 0
      p.stateSince = now
      // Up again after going down: the path may be what failed, so measure it afresh.
      if p.pathMTU.phase != .off { p.pathMTU = newPathMTU(towards: p.endpoint) }
    }
    peers[peerID] = p
    out.event(
      wasUp ? .rekeyed(peerID) : .peerUp(peerID, nickname: p.nickname, endpoint: p.endpoint))
    // Tell the peer where this host sees it: a host behind NAT learns its mapped address.
    sendObservedEndpoint(to: peerID, now: now, out: &out)
  }

  /// The flags this host announces in its handshake payloads.
  var handshakeFlags: UInt8 {
    (configuration.acceptsOffloadedFrames ? MeshHandshake.flagAcceptsOffload : 0)
      | MeshHandshake.flagPathMTU
  }

  /// Creates or refreshes the record of a peer that just proved its identity on `session`
  /// from `source`. Returns false, changing nothing, when `source` is refused as a second
  /// host with the peer's key. A member left without a session at `source` is retired: the
  /// address answers with this key now.
  @discardableResult
  mutating func upsertPeer(
    _ peerID: PeerID, key: PublicKey, payload: HandshakePayload, source: Endpoint,
    session: UInt32, now: MeshInstant, out: inout some EngineOutput
  ) -> Bool {
    if peers[peerID] == nil {
      peers[peerID] = PeerState(
        id: peerID, staticKey: key, nickname: payload.nickname, endpoint: source, now: now)
      peers[peerID]?.endpointSession = session
      endpointsVersion &+= 1
    } else {
      guard moveEndpoint(of: peerID, to: source, session: session, now: now, out: &out) else {
        return false
      }
    }
    retireGhosts(at: source, answeredBy: peerID, out: &out)
    if peers[peerID]?.isUp != true, punches[peerID] != nil {
      peers[peerID]?.punched = true
      punches[peerID]?.answered(now: now)
    }
    peers[peerID]?.nickname = payload.nickname
    peers[peerID]?.announcedEndpoints = payload.endpoints
    peers[peerID]?.acceptsOffload = payload.flags & MeshHandshake.flagAcceptsOffload != 0
    if payload.flags & MeshHandshake.flagPathMTU == 0 {
      peers[peerID]?.pathMTU = .off
    } else if peers[peerID]?.pathMTU.phase == .off {
      let fresh = newPathMTU(towards: source)
      peers[peerID]?.pathMTU = fresh
    }
    peers[peerID]?.lastReceived = now
    // A dial to where this peer now is has served its purpose; an initiation it has in
    // flight now belongs to the peer (both ends may have dialled at once).
    if let d = dials.removeValue(forKey: source), let i = d.pendingInitiation {
      if peers[peerID]?.pendingInitiation == nil {
        peers[peerID]?.pendingInitiation = i
      } else {
        initiations[i] = nil
      }
    }
    // Dials of the peer's other gossiped endpoints have served their purpose too; their
    // initiations go, so that a slower answer does not move the peer off the path that
    // answered first.
    for (endpoint, d) in dials where d.learnedFrom == peerID {
      if let i = d.pendingInitiation { initiations[i] = nil }
      dials[endpoint] = nil
    }
    return true
  }

  /// Forgets a session and zeroes its keys.
  mutating func discardKeypair(_ index: UInt32) {
    keypairs[index]?.wipe()
    keypairs[index] = nil
  }

  // MARK: mac1 and mac2

  /// Writes mac1 into an encoded handshake message and returns it.
  @discardableResult
  package func writeMac1(_ message: inout [UInt8], key: SymmetricKey) -> [UInt8] {
    let end = message.count - 32
    var mac = [UInt8](repeating: 0, count: 16)
    message.withUnsafeBytes { m in
      key.withUnsafeBytes { k in
        mac.withUnsafeMutableBytes { out in
          Blake2b.mac(key: k, data: UnsafeRawBufferPointer(rebasing: m[..<end]), into: out)
        }
      }
    }
    message.replaceSubrange(end..<(end + 16), with: mac)
    return mac
  }

  /// Writes mac1, and mac2 when we hold a fresh cookie from `endpoint`; returns mac1.
  @discardableResult
  func stampMacs(
    _ message: inout [UInt8], secretIndex: Int, to endpoint: Endpoint, now: MeshInstant
  )
    -> [UInt8]
  {
    let mac1 = writeMac1(&message, key: mac1Keys[secretIndex])
    if let c = cookies[endpoint], now.seconds(since: c.received) < CookieChecker.secretLifetime {
      let end = message.count - 16
      let mac2 = Blake2b.mac(key: c.cookie, data: Array(message[..<end]), outputLength: 16)
      message.replaceSubrange(end..<(end + 16), with: mac2)
    }
    return mac1
  }

  /// The index of the cluster secret whose mac1 key verifies the message, if any. Reads the
  /// datagram in place and allocates nothing: every handshake-shaped datagram of a flood
  /// comes through here.
  func verifyMac1(_ datagram: UnsafeRawBufferPointer, only: Int? = nil) -> Int? {
    let end = datagram.count - 32
    guard end > 0 else { return nil }
    let covered = UnsafeRawBufferPointer(rebasing: datagram[..<end])
    let given = UnsafeRawBufferPointer(rebasing: datagram[end..<(end + 16)])
    return withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { out -> Int? in
      for i in mac1Keys.indices where only == nil || only == i {
        mac1Keys[i].withUnsafeBytes { k in Blake2b.mac(key: k, data: covered, into: out) }
        if Sodium.constantTimeEqual(UnsafeRawBufferPointer(out), given) { return i }
      }
      return nil
    }
  }
}
