/// The type of an outer (UDP) datagram, and the specification of the meshd wire format.
///
/// All integers are little-endian unless noted. Every datagram starts with the same 4 bytes:
///
///     type (1) · reserved (3, must be zero)
///
/// 1. `handshakeInitiation` (`HandshakeInitiation`):
///    header (4) · senderIndex (u32) · noise (variable) · mac1 (16) · mac2 (16).
///    `noise` is message 1 of `Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b`:
///    e (32) · encrypted s (48) · encrypted payload (payload length + 16). Its length lies in
///    `WireLimits.minHandshakeNoise ... WireLimits.maxHandshakeNoise` (96 ... 608).
/// 2. `handshakeResponse` (`HandshakeResponse`):
///    header (4) · senderIndex (u32) · receiverIndex (u32) · noise (same bounds) · mac1 (16) ·
///    mac2 (16).
/// 3. `cookieReply` (`CookieReply`):
///    header (4) · receiverIndex (u32) · nonce (24) · encryptedCookie (32); exactly 64 bytes.
/// 4. `transport` (`TransportHeader`):
///    header (4) · receiverIndex (u32) · counter (u64) · ciphertext (sealed inner plaintext,
///    16-byte tag included). Total length `WireLimits.minTransport ... WireLimits.maxDatagram`.
/// 5. `forwarded` (`ForwardHeader`):
///    header (4) · receiverIndex (u32) · counter (u64) · destination (u64 Peer ID) ·
///    hopLimit (u8) · reserved (3) · hop tag (16) · inner datagram (a type 1, 2 or 4 message
///    between two members, sealed end to end, that the hosts on the way pass on unopened).
///
/// In handshake messages mac1 covers bytes `[0, length − 32)` and mac2 covers
/// `[0, length − 16)`; see `HandshakeMACRanges`.
///
/// The decrypted transport plaintext is an `InnerMessage`: kind (1) · kind-specific fields:
///
/// - 0 keepalive: nothing (length exactly 1).
/// - 1 frame: Ethernet frame, dst (6) · src (6) · ethertype (2, big-endian) · data;
///   14 ... `WireLimits.maxFrame` bytes.
/// - 2 relayedFrame: origin PeerID (u64) · destination PeerID (u64, 0 = flood along the
///   origin's broadcast tree) · hopLimit (1, ≥ 1) · Ethernet frame as in kind 1.
/// - 3 gossip: opaque control bytes, 1 ... `WireLimits.maxGossip`.
/// - 4 pathProbe: probeID (u32) · isReply (1: 0 or 1) · padding (≤ `WireLimits.maxProbePadding`).
/// - 5 offloadedFrame: `VirtioNetHeader` (10) · Ethernet frame; only to peers that announced
///   offload support in their handshake flags.
/// - 6 relayedOffloadedFrame: relay header fields as kind 2 · `VirtioNetHeader` (10) · frame.
/// - 7 piece: messageID (u32) · totalLength (u16) · pieceLength (u16) · index (1) · bytes; one
///   piece of an inner plaintext too large for the path (`PieceHeader`); only to peers that
///   announced path-MTU support in their handshake flags.
///
/// The Noise payload of message 1 and 2 is a `HandshakePayload`: version (1) = 1 · flags (1) ·
/// timestamp (u64 wall-clock ns, nonzero) · nicknameLength (1, ≤ `WireLimits.maxNickname`) ·
/// nickname (UTF-8) · endpointCount (1, ≤ `WireLimits.maxEndpoints`) · endpoints, each
/// family (1: 4 or 6) · address (4 or 16, network byte order) · port (u16). No trailing bytes.
public enum WireMessageType: UInt8, Sendable, CaseIterable {
  /// Noise message 1, from the initiator.
  case handshakeInitiation = 1
  /// Noise message 2, from the responder.
  case handshakeResponse = 2
  /// A cookie for a handshake sender, sent under load instead of a response.
  case cookieReply = 3
  /// An encrypted inner message within an established session.
  case transport = 4
  /// An end-to-end datagram passed on through relays, authenticated for each hop.
  case forwarded = 5

  /// The length of the common header: type and three reserved bytes.
  public static let headerSize = 4

  /// Validates the common header of `datagram` and returns its type, without allocating.
  ///
  /// Throws `.truncated` for fewer than 4 bytes, `.unknownType` for an unknown type byte and
  /// `.badReserved` when a reserved byte is not zero. Does not check the type-specific length;
  /// the type's decoder does.
  public static func peek(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> WireMessageType {
    guard datagram.count >= headerSize else { throw .truncated }
    guard let type = WireMessageType(rawValue: datagram[0]) else {
      throw .unknownType(datagram[0])
    }
    guard datagram[1] | datagram[2] | datagram[3] == 0 else { throw .badReserved }
    return type
  }

  /// `peek` for a byte array.
  public static func peek(_ datagram: [UInt8]) throws(WireError) -> WireMessageType {
    let result: Result<WireMessageType, WireError> = datagram.withUnsafeBytes { raw in
      Result { () throws(WireError) in try peek(raw) }
    }
    return try result.get()
  }

  /// Checks that `datagram` has this type and a valid common header.
  func expect(in datagram: UnsafeRawBufferPointer) throws(WireError) {
    let actual = try WireMessageType.peek(datagram)
    guard actual == self else { throw .unexpectedType(actual.rawValue) }
  }

  /// Writes the common header for this type at the start of `buffer` (≥ 4 bytes, checked by
  /// the caller).
  func writeHeader(into buffer: UnsafeMutableRawBufferPointer) {
    buffer.storeBytes(of: UInt32(rawValue).littleEndian, toByteOffset: 0, as: UInt32.self)
  }
}
