import MeshTypes

/// The header of a forwarded datagram (type 5): an end-to-end datagram between two members
/// that the hosts on its way pass on without opening it.
///
///     type = 5 (1) · reserved (3) · receiverIndex (u32) · counter (u64) ·
///     destination (u64 Peer ID) · hopLimit (u8) · reserved (3) · hop tag (16) · inner datagram
///
/// `receiverIndex` and `counter` belong to the session of the hop the datagram is crossing
/// (they are rewritten at every hop), and the hop tag is that session's ChaCha20-Poly1305 tag
/// over an empty plaintext, with `authenticatedData` as associated data: a relay knows which
/// neighbour handed it the datagram without decrypting a byte of it. The inner datagram is a
/// handshake message (type 1 or 2) or a transport message (type 4) of a session between the
/// two ends, which only the destination can open.
public struct ForwardHeader: Equatable, Sendable {
  /// The header's length, hop tag included.
  public static let size = 44
  /// Where the hop tag starts.
  public static let tagOffset = 28
  /// The length of the associated data the hop tag covers (see `authenticatedData`).
  public static let authenticatedLength = tagOffset + 16 + WireLimits.aeadTag
  /// The smallest inner datagram: the smallest transport message.
  public static let minInner = WireLimits.minTransport
  /// The smallest forwarded datagram.
  public static let minDatagram = size + minInner
  /// The largest forwarded datagram.
  public static let maxDatagram = WireLimits.maxDatagram
  /// The largest forwarded datagram that a hop can still carry inside its session (inner kind
  /// 13) when it is too large for the path to the next hop: what fits a message cut into
  /// pieces, after the kind byte. meshd sends nothing larger end to end.
  public static let maxInSession = WireLimits.maxReassembled - 1

  /// The index the receiving hop chose for the session this hop is crossing.
  public var receiverIndex: UInt32
  /// That session's send counter: the nonce of the hop tag.
  public var counter: UInt64
  /// The member the inner datagram is for.
  public var destination: PeerID
  /// Hops left, at least 1 on the wire.
  public var hopLimit: UInt8
  /// The length of the inner datagram, which starts at `size`.
  public var innerLength: Int

  /// Where the inner datagram lies in the forwarded one.
  public var innerRange: Range<Int> { Self.size..<(Self.size + innerLength) }

  /// Creates a header.
  public init(
    receiverIndex: UInt32, counter: UInt64, destination: PeerID, hopLimit: UInt8,
    innerLength: Int
  ) {
    self.receiverIndex = receiverIndex
    self.counter = counter
    self.destination = destination
    self.hopLimit = hopLimit
    self.innerLength = innerLength
  }

  /// Reads the header of a forwarded datagram; the hop tag is not checked here.
  public static func parse(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> Self {
    try WireMessageType.forwarded.expect(in: datagram)
    guard datagram.count >= minDatagram else { throw .truncated }
    guard datagram.count <= maxDatagram else { throw .oversized }
    guard datagram[25] | datagram[26] | datagram[27] == 0 else { throw .badReserved }
    let hopLimit = datagram[24]
    guard hopLimit >= 1 else { throw .malformed }
    return ForwardHeader(
      receiverIndex: datagram.le32(at: 4), counter: datagram.le64(at: 8),
      destination: PeerID(rawValue: datagram.le64(at: 16)), hopLimit: hopLimit,
      innerLength: datagram.count - size)
  }

  /// Writes every field but the hop tag at the start of `buffer` (at least `tagOffset` bytes).
  public func write(into buffer: UnsafeMutableRawBufferPointer) {
    precondition(buffer.count >= Self.tagOffset)
    WireMessageType.forwarded.writeHeader(into: buffer)
    buffer.storeLE32(receiverIndex, at: 4)
    buffer.storeLE64(counter, at: 8)
    buffer.storeLE64(destination.rawValue, at: 16)
    buffer[24] = hopLimit
    buffer[25] = 0
    buffer[26] = 0
    buffer[27] = 0
  }

  /// Writes the hop's session fields, which change at every hop, into a forwarded datagram.
  public static func writeHop(
    receiverIndex: UInt32, counter: UInt64, into datagram: UnsafeMutableRawBufferPointer
  ) {
    precondition(datagram.count >= size)
    datagram.storeLE32(receiverIndex, at: 4)
    datagram.storeLE64(counter, at: 8)
  }

  /// Calls `body` with the associated data of the hop tag of `datagram` (a whole forwarded
  /// datagram): the header before the tag, the inner datagram's first 16 bytes (its type and
  /// indexes) and its last 16 (its own tag or MAC). The inner datagram is authenticated end to
  /// end, so binding its tag is enough for the hop: a relay cannot pass on bytes a neighbour
  /// did not send as they are, and costs a few dozen bytes of hashing, not the whole datagram.
  public static func withAuthenticatedData<R>(
    of datagram: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R
  ) -> R {
    precondition(datagram.count >= minDatagram)
    return withUnsafeTemporaryAllocation(byteCount: authenticatedLength, alignment: 8) { ad in
      let tail = datagram.count - WireLimits.aeadTag
      ad.baseAddress!.copyMemory(from: datagram.baseAddress!, byteCount: tagOffset)
      (ad.baseAddress! + tagOffset).copyMemory(from: datagram.baseAddress! + size, byteCount: 16)
      (ad.baseAddress! + tagOffset + 16).copyMemory(
        from: datagram.baseAddress! + tail, byteCount: WireLimits.aeadTag)
      return body(UnsafeRawBufferPointer(ad))
    }
  }
}
