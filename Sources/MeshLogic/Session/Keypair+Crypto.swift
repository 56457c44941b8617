import MeshProtocol
import MeshTypes

/// Sealing and opening transport messages with a keypair, in place and without allocation.
extension Keypair {
  /// The outcome of opening a transport message.
  enum OpenResult {
    /// Authentic; the plaintext is this long and starts where the ciphertext did.
    case opened(Int)
    /// Dropped for this reason.
    case dropped(DropReason)
  }

  /// `open`, also answering whose session this is and whether it had been confirmed, so the
  /// caller reads nothing else from the keypair (a read through the table would copy it).
  mutating func open(
    counter: UInt64, sealed: UnsafeMutableRawBufferPointer, now: MeshInstant,
    timers: SessionTimers
  ) -> (result: OpenResult, peer: PeerID, newlyConfirmed: Bool) {
    let result: OpenResult = open(counter: counter, sealed: sealed, now: now, timers: timers)
    guard case .opened = result, !confirmed else { return (result, peer, false) }
    confirmed = true
    return (result, peer, true)
  }

  /// Authenticates and decrypts `sealed` (ciphertext and tag) in place. The replay window is
  /// checked before and updated only after the message authenticated.
  mutating func open(
    counter: UInt64, sealed: UnsafeMutableRawBufferPointer, now: MeshInstant,
    timers: SessionTimers
  ) -> OpenResult {
    guard age(now) < timers.rejectAfterTime else { return .dropped(.expiredKeys) }
    guard replay.wouldAccept(counter) else { return .dropped(.replay) }
    let ok = receiveKey.withUnsafeBytes { key in
      ChaChaPoly.openInPlace(
        key: key.baseAddress!, counter: counter, ad: UnsafeRawBufferPointer(start: nil, count: 0),
        buffer: sealed.baseAddress!, length: sealed.count)
    }
    guard ok else { return .dropped(.authentication) }
    guard replay.accept(counter) else { return .dropped(.replay) }
    return .opened(sealed.count - ChaChaPoly.tagLength)
  }

  /// Encrypts the `payloadLength` bytes at `TransportHeader.size` in `buffer`, appends the tag
  /// and writes the header. Returns the datagram's length, or nil when the keys must not be
  /// used any more.
  mutating func seal(
    _ buffer: UnsafeMutableRawBufferPointer, payloadLength: Int, now: MeshInstant,
    timers: SessionTimers
  ) -> Int? {
    guard isUsable(now, timers) else { return nil }
    let counter = sendCounter
    sendCounter += 1
    try! TransportHeader.write(receiverIndex: remoteIndex, counter: counter, into: buffer)
    sendKey.withUnsafeBytes { key in
      ChaChaPoly.sealInPlace(
        key: key.baseAddress!, counter: counter, ad: UnsafeRawBufferPointer(start: nil, count: 0),
        buffer: buffer.baseAddress! + TransportHeader.size, length: payloadLength)
    }
    return TransportHeader.size + payloadLength + ChaChaPoly.tagLength
  }
}
