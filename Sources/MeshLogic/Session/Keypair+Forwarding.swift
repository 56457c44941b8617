import MeshProtocol
import MeshTypes

/// Hop tags of forwarded datagrams (type 5). A hop tag takes a counter from the same sequence
/// as the session's transport messages, so no nonce is ever used twice with a key, and is
/// checked against the same replay window.
extension Keypair {
  /// Writes this session's index, the next counter and the hop tag into the forwarded
  /// datagram `datagram`, whose other header fields and inner datagram are in place. Returns
  /// false, writing nothing, when the keys must not be used any more.
  mutating func tagForwarded(
    _ datagram: UnsafeMutableRawBufferPointer, now: MeshInstant, timers: SessionTimers
  ) -> Bool {
    guard isUsable(now, timers) else { return false }
    let counter = sendCounter
    sendCounter += 1
    ForwardHeader.writeHop(receiverIndex: remoteIndex, counter: counter, into: datagram)
    let tag = datagram.baseAddress! + ForwardHeader.tagOffset
    ForwardHeader.withAuthenticatedData(of: UnsafeRawBufferPointer(datagram)) { ad in
      sendKey.withUnsafeBytes { key in
        ChaChaPoly.sealInPlace(
          key: key.baseAddress!, counter: counter, ad: ad, buffer: tag, length: 0)
      }
    }
    return true
  }

  /// Checks the hop tag of a forwarded datagram that names this session, with the replay
  /// window checked before and updated only after the tag verified. `.opened(0)` when it did.
  /// A session this host answered must first be confirmed by a transport message, which
  /// commits what its initiation said: until then nothing is forwarded on it.
  mutating func checkForwarded(
    _ datagram: UnsafeRawBufferPointer, counter: UInt64, now: MeshInstant, timers: SessionTimers
  ) -> OpenResult {
    guard confirmed else { return .dropped(.noSession) }
    guard age(now) < timers.rejectAfterTime else { return .dropped(.expiredKeys) }
    guard replay.wouldAccept(counter) else { return .dropped(.replay) }
    let ok = withUnsafeTemporaryAllocation(byteCount: ChaChaPoly.tagLength, alignment: 8) {
      tag -> Bool in
      tag.copyMemory(
        from: UnsafeRawBufferPointer(
          rebasing: datagram[ForwardHeader.tagOffset..<ForwardHeader.size]))
      return ForwardHeader.withAuthenticatedData(of: datagram) { ad in
        receiveKey.withUnsafeBytes { key in
          ChaChaPoly.openInPlace(
            key: key.baseAddress!, counter: counter, ad: ad, buffer: tag.baseAddress!,
            length: ChaChaPoly.tagLength)
        }
      }
    }
    guard ok else { return .dropped(.authentication) }
    guard replay.accept(counter) else { return .dropped(.replay) }
    return .opened(0)
  }
}
