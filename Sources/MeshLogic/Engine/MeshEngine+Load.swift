import MeshProtocol
import MeshTypes

/// Handshakes under load. Handshake messages that pass mac1 wait in a bounded queue and are
/// worked through a few at a time, after the data path had its turn. When the queue fills
/// beyond an eighth, the host is under load: a handshake must then carry a valid mac2 (proof
/// that its sender receives at its source address, WireGuard's cookie), else it is answered
/// with a cookie reply and dropped; and each source address gets a rate limit.
extension MeshEngine {
  /// The most handshake messages waiting (WireGuard's bound). A host joining a mesh of
  /// hundreds gets an initiation from every member at once; that is not an attack.
  public static let handshakeQueueCapacity = 4096
  /// How many queued handshakes one call of `processHandshakes` works through.
  public static let handshakesPerTurn = 16

  /// A handshake message that passed mac1.
  struct QueuedHandshake {
    var bytes: [UInt8]
    var source: Endpoint
    var secretIndex: Int
  }

  /// Whether handshakes currently need cookies.
  public var isUnderLoad: Bool { handshakeQueue.count >= MeshEngine.handshakeQueueCapacity / 8 }

  /// Checks mac1 (and, under load, mac2 and the rate limit), then queues the message.
  mutating func admitHandshake(
    _ datagram: UnsafeRawBufferPointer, from source: Endpoint, now: MeshInstant,
    out: inout some EngineOutput
  ) {
    guard datagram.count >= HandshakeMACRanges.minMessageLength,
      datagram.count <= HandshakeInitiation.maxLength + 4
    else { return drops.count(.malformed) }
    guard let secretIndex = verifyMac1(datagram) else {
      drops.count(.mac1)
      return refuseHandshake(.mac1, from: source, now: now, out: &out)
    }
    guard handshakeQueue.count < MeshEngine.handshakeQueueCapacity else {
      return drops.count(.handshakeQueueFull)
    }
    if isUnderLoad, !answersOurInitiation(datagram) {
      guard cookieChecker.verifyMac2(datagram, source: source, now: now) else {
        sendCookieReply(to: datagram, from: source, secretIndex: secretIndex, now: now, out: &out)
        return drops.count(.cookieRequired)
      }
      guard rateLimiter.allow(source.address, now: now) else { return drops.count(.rateLimited) }
    }
    handshakeQueue.append(
      QueuedHandshake(bytes: Array(datagram), source: source, secretIndex: secretIndex))
  }

  /// Whether `datagram` is a response to an initiation we sent: those are let through under
  /// load (they still passed mac1), since we asked for them.
  func answersOurInitiation(_ datagram: UnsafeRawBufferPointer) -> Bool {
    guard datagram[0] == WireMessageType.handshakeResponse.rawValue, datagram.count >= 12 else {
      return false
    }
    let receiver = datagram.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
    return initiations[receiver] != nil
  }

  /// Works through up to `handshakesPerTurn` queued handshakes.
  public mutating func processHandshakes(now: MeshInstant, out: inout some EngineOutput) {
    var done = 0
    while done < MeshEngine.handshakesPerTurn, !handshakeQueue.isEmpty {
      let h = handshakeQueue.removeFirst()
      done += 1
      h.bytes.withUnsafeBytes { raw in
        if raw[0] == WireMessageType.handshakeInitiation.rawValue {
          handleInitiation(raw, from: h.source, secretIndex: h.secretIndex, now: now, out: &out)
        } else {
          handleResponse(raw, from: h.source, secretIndex: h.secretIndex, now: now, out: &out)
        }
      }
    }
  }

  /// Answers a handshake with a cookie for its source, sealed to the handshake's mac1 so only
  /// its real sender can use it.
  mutating func sendCookieReply(
    to datagram: UnsafeRawBufferPointer, from source: Endpoint, secretIndex: Int,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    let senderIndex = datagram.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
    let mac1 = Array(datagram[(datagram.count - 32)..<(datagram.count - 16)])
    let cookie = cookieChecker.cookie(for: source, now: now, random: &random)
    let nonce = random.bytes(XChaChaPoly.nonceLength)
    let sealed = XChaChaPoly.seal(
      key: MeshHandshake.cookieKey(configuration.clusterSecrets[secretIndex]), nonce: nonce,
      ad: mac1, plaintext: cookie)
    guard
      let reply = try? CookieReply(
        receiverIndex: senderIndex, nonce: nonce, encryptedCookie: sealed
      ).encode()
    else { return }
    reply.withUnsafeBytes { out.send($0, to: source) }
  }

  /// Takes a cookie from a responder under load; the next attempt carries mac2.
  mutating func handleCookieReply(_ datagram: UnsafeRawBufferPointer, now: MeshInstant) {
    guard let reply = try? CookieReply.decode(datagram) else { return drops.count(.malformed) }
    guard let pending = initiations[reply.receiverIndex] else {
      return drops.count(.unknownIndex)
    }
    guard
      let cookie = XChaChaPoly.open(
        key: MeshHandshake.cookieKey(configuration.clusterSecrets[pending.secretIndex]),
        nonce: reply.nonce, ad: pending.mac1, ciphertext: reply.encryptedCookie),
      cookie.count == 16
    else { return drops.count(.authentication) }
    if cookies[pending.endpoint] == nil, cookies.count >= CookieChecker.maxStoredCookies {
      cookies.removeAll()
    }
    cookies[pending.endpoint] = (cookie, now)
    // Retry at once rather than after the full retry interval.
    for id in peers.keys where peers[id]?.pendingInitiation == reply.receiverIndex {
      peers[id]?.phase.retry?.retryNow(now)
    }
    if dials[pending.endpoint]?.pendingInitiation == reply.receiverIndex {
      dials[pending.endpoint]?.retry.retryNow(now)
    }
  }
}
