import MeshTypes

/// A decrypted transport plaintext, parsed without allocation: fields by value, payloads as
/// byte ranges of the plaintext buffer.
///
/// See `WireMessageType` for the layout of every kind and `InnerKind` for the kind byte.
public enum InnerMessage: Equatable, Sendable {
  /// A keepalive: the kind byte alone.
  case keepalive
  /// An Ethernet frame occupying `frame` of the plaintext (14 ... `WireLimits.maxFrame`).
  case frame(Range<Int>)
  /// A relayed Ethernet frame with its relay header.
  case relayedFrame(RelayHeader, frame: Range<Int>)
  /// Control-plane bytes occupying the range (1 ... `WireLimits.maxGossip`).
  case gossip(Range<Int>)
  /// A path probe or reply; its padding follows the header.
  case pathProbe(PathProbe)
  /// An Ethernet frame with its offload header.
  case offloadedFrame(VirtioNetHeader, frame: Range<Int>)
  /// A relayed Ethernet frame with its relay and offload headers.
  case relayedOffloadedFrame(RelayHeader, VirtioNetHeader, frame: Range<Int>)
  /// One piece of a larger message; its bytes occupy the range.
  case piece(PieceHeader, bytes: Range<Int>)
  /// Where the sender sees the receiver at.
  case observedEndpoint(Endpoint)
  /// A probe of another endpoint, or its reply.
  case endpointProbe(EndpointProbe)
  /// A hole-punching request about `peer`, with the endpoint to dial when relayed.
  case punchRequest(PeerID, Endpoint?)
  /// A whole forwarded datagram occupying the range (`ForwardHeader.minDatagram` ...
  /// `ForwardHeader.maxInSession`), its type byte checked.
  case forwardedDatagram(Range<Int>)

  /// The kind byte of this message.
  public var kind: InnerKind {
    switch self {
    case .keepalive: return .keepalive
    case .frame: return .frame
    case .relayedFrame: return .relayedFrame
    case .gossip: return .gossip
    case .pathProbe: return .pathProbe
    case .offloadedFrame: return .offloadedFrame
    case .relayedOffloadedFrame: return .relayedOffloadedFrame
    case .piece: return .piece
    case .observedEndpoint: return .observedEndpoint
    case .endpointProbe: return .endpointProbe
    case .punchRequest: return .punchRequest
    case .forwardedDatagram: return .forwardedDatagram
    }
  }

  /// Parses a decrypted plaintext. Throws `.truncated` for an empty input or a short kind
  /// header, `.unknownType` for an unknown kind, `.oversized` past a kind's bound and
  /// `.malformed` for a bad field (trailing bytes on a keepalive, zero hop limit, isReply
  /// other than 0 or 1, a piece whose fields describe no valid cut or whose length is not the
  /// one they imply).
  public static func parse(_ plaintext: UnsafeRawBufferPointer) throws(WireError) -> Self {
    guard let first = plaintext.first else { throw .truncated }
    guard let kind = InnerKind(rawValue: first) else { throw .unknownType(first) }
    let count = plaintext.count
    switch kind {
    case .keepalive:
      guard count == 1 else { throw .malformed }
      return .keepalive
    case .frame:
      return .frame(try frameRange(from: 1, count: count))
    case .offloadedFrame:
      let start = 1 + VirtioNetHeader.size
      guard count >= start,
        let v = VirtioNetHeader.read(UnsafeRawBufferPointer(rebasing: plaintext[1...]))
      else { throw .truncated }
      let frame = try frameRange(from: start, count: count)
      guard v.isConsistent(frameLength: frame.count) else { throw .malformed }
      return .offloadedFrame(v, frame: frame)
    case .relayedOffloadedFrame:
      let start = RelayHeader.size + VirtioNetHeader.size
      guard count >= start,
        let v = VirtioNetHeader.read(
          UnsafeRawBufferPointer(rebasing: plaintext[RelayHeader.size...]))
      else { throw .truncated }
      let header = RelayHeader(
        origin: PeerID(rawValue: plaintext.le64(at: 1)),
        destination: PeerID(rawValue: plaintext.le64(at: 9)),
        hopLimit: plaintext[17])
      guard header.hopLimit >= 1 else { throw .malformed }
      let frame = try frameRange(from: start, count: count)
      guard v.isConsistent(frameLength: frame.count) else { throw .malformed }
      return .relayedOffloadedFrame(header, v, frame: frame)
    case .relayedFrame:
      guard count >= RelayHeader.size else { throw .truncated }
      let header = RelayHeader(
        origin: PeerID(rawValue: plaintext.le64(at: 1)),
        destination: PeerID(rawValue: plaintext.le64(at: 9)),
        hopLimit: plaintext[17])
      guard header.hopLimit >= 1 else { throw .malformed }
      return .relayedFrame(header, frame: try frameRange(from: RelayHeader.size, count: count))
    case .gossip:
      guard count >= 2 else { throw .truncated }
      guard count - 1 <= WireLimits.maxGossip else { throw .oversized }
      return .gossip(1..<count)
    case .pathProbe:
      guard count >= PathProbe.headerSize else { throw .truncated }
      let padding = count - PathProbe.headerSize
      guard padding <= WireLimits.maxProbePadding else { throw .oversized }
      let reply = plaintext[5]
      guard reply <= 1 else { throw .malformed }
      return .pathProbe(
        PathProbe(probeID: plaintext.le32(at: 1), isReply: reply == 1, paddingLength: padding))
    case .piece:
      guard count > PieceHeader.size else { throw .truncated }
      let header = PieceHeader(
        messageID: plaintext.le32(at: 1), totalLength: Int(plaintext.le16(at: 5)),
        pieceLength: Int(plaintext.le16(at: 7)), index: Int(plaintext[9]))
      guard header.isValid, count - PieceHeader.size == header.length else { throw .malformed }
      return .piece(header, bytes: PieceHeader.size..<count)
    case .observedEndpoint:
      return .observedEndpoint(try observedEndpoint(plaintext))
    case .punchRequest:
      guard count >= 9 else { throw .truncated }
      let peer = PeerID(rawValue: plaintext.le64(at: 1))
      if count == 9 { return .punchRequest(peer, nil) }
      // The endpoint as in kind 10, after the peer ID.
      let endpoint = try observedEndpoint(UnsafeRawBufferPointer(rebasing: plaintext[8...]))
      return .punchRequest(peer, endpoint)
    case .forwardedDatagram:
      let length = count - 1
      guard length >= ForwardHeader.minDatagram else { throw .truncated }
      guard length <= ForwardHeader.maxInSession else { throw .oversized }
      guard plaintext[1] == WireMessageType.forwarded.rawValue else { throw .malformed }
      return .forwardedDatagram(1..<count)
    case .endpointProbe:
      guard count >= EndpointProbe.size else { throw .truncated }
      guard count == EndpointProbe.size, plaintext[5] <= 1 else { throw .malformed }
      return .endpointProbe(
        EndpointProbe(probeID: plaintext.le32(at: 1), isReply: plaintext[5] == 1))
    }
  }

  /// `parse` for a byte array.
  public static func parse(_ plaintext: [UInt8]) throws(WireError) -> Self {
    try HandshakeCodec.withBytes(plaintext) { raw throws(WireError) in try parse(raw) }
  }

  /// Decodes kind 10: family (1: 4 or 6) · address (4 or 16, network byte order) · port
  /// (u16), with nothing after it.
  private static func observedEndpoint(_ plaintext: UnsafeRawBufferPointer) throws(WireError)
    -> Endpoint
  {
    guard plaintext.count >= 2 else { throw .truncated }
    switch plaintext[1] {
    case HandshakePayload.familyV4:
      guard plaintext.count >= 8 else { throw .truncated }
      guard plaintext.count == 8 else { throw .malformed }
      return Endpoint(address: .v4(plaintext.be32(at: 2)), port: plaintext.le16(at: 6))
    case HandshakePayload.familyV6:
      guard plaintext.count >= 20 else { throw .truncated }
      guard plaintext.count == 20 else { throw .malformed }
      return Endpoint(
        address: .v6(plaintext.be64(at: 2), plaintext.be64(at: 10)), port: plaintext.le16(at: 18))
    default:
      throw .malformed
    }
  }

  /// The Ethernet frame from `offset` to the end, with its length bounds checked.
  private static func frameRange(from offset: Int, count: Int) throws(WireError) -> Range<Int> {
    let length = count - offset
    guard length >= WireLimits.ethernetHeader else { throw .truncated }
    guard length <= WireLimits.maxFrame else { throw .oversized }
    return offset..<count
  }
}
