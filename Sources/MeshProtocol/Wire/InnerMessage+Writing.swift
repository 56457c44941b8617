import MeshTypes

/// Writers for every inner kind into a caller buffer, without allocation.
///
/// Each returns the number of plaintext bytes written, which the caller then seals. Frames
/// can also be placed without a copy: write the header with `writeFrameHeader` or
/// `writeRelayHeader`, then read the frame from the TAP directly behind it.
extension InnerMessage {
  /// Writes a keepalive (1 byte).
  @discardableResult
  public static func writeKeepalive(into buffer: UnsafeMutableRawBufferPointer) throws(WireError)
    -> Int
  {
    guard buffer.count >= 1 else { throw .truncated }
    buffer[0] = InnerKind.keepalive.rawValue
    return 1
  }

  /// Writes only the kind byte of a frame; the frame goes at the returned offset (1).
  @discardableResult
  public static func writeFrameHeader(into buffer: UnsafeMutableRawBufferPointer)
    throws(WireError) -> Int
  {
    guard buffer.count >= 1 else { throw .truncated }
    buffer[0] = InnerKind.frame.rawValue
    return 1
  }

  /// Writes a frame message: kind byte and a copy of `frame` (14 ... `WireLimits.maxFrame`).
  @discardableResult
  public static func writeFrame(
    _ frame: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    try checkFrame(frame)
    guard buffer.count >= 1 + frame.count else { throw .truncated }
    let offset = try writeFrameHeader(into: buffer)
    buffer.copy(frame, to: offset)
    return offset + frame.count
  }

  /// Writes the kind byte and relay header; the frame goes at the returned offset (18).
  /// `.malformed` for a hop limit of zero.
  @discardableResult
  public static func writeRelayHeader(
    _ header: RelayHeader, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    guard header.hopLimit >= 1 else { throw .malformed }
    guard buffer.count >= RelayHeader.size else { throw .truncated }
    buffer[0] = InnerKind.relayedFrame.rawValue
    buffer.storeLE64(header.origin.rawValue, at: 1)
    buffer.storeLE64(header.destination.rawValue, at: 9)
    buffer[17] = header.hopLimit
    return RelayHeader.size
  }

  /// Writes a relayed frame: kind byte, relay header and a copy of `frame`.
  @discardableResult
  public static func writeRelayedFrame(
    _ header: RelayHeader, frame: UnsafeRawBufferPointer,
    into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    try checkFrame(frame)
    guard buffer.count >= RelayHeader.size + frame.count else { throw .truncated }
    let offset = try writeRelayHeader(header, into: buffer)
    buffer.copy(frame, to: offset)
    return offset + frame.count
  }

  /// Writes a gossip message: kind byte and a copy of `payload` (1 ... `WireLimits.maxGossip`).
  @discardableResult
  public static func writeGossip(
    _ payload: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    guard !payload.isEmpty else { throw .truncated }
    guard payload.count <= WireLimits.maxGossip else { throw .oversized }
    guard buffer.count >= 1 + payload.count else { throw .truncated }
    buffer[0] = InnerKind.gossip.rawValue
    buffer.copy(payload, to: 1)
    return 1 + payload.count
  }

  /// Writes a path probe with `probe.paddingLength` zero bytes of padding.
  @discardableResult
  public static func writePathProbe(
    _ probe: PathProbe, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    guard probe.paddingLength >= 0 else { throw .malformed }
    guard probe.paddingLength <= WireLimits.maxProbePadding else { throw .oversized }
    let total = PathProbe.headerSize + probe.paddingLength
    guard buffer.count >= total else { throw .truncated }
    buffer[0] = InnerKind.pathProbe.rawValue
    buffer.storeLE32(probe.probeID, at: 1)
    buffer[5] = probe.isReply ? 1 : 0
    if probe.paddingLength > 0 {
      UnsafeMutableRawBufferPointer(rebasing: buffer[PathProbe.headerSize..<total])
        .initializeMemory(as: UInt8.self, repeating: 0)
    }
    return total
  }

  /// Writes a piece: kind byte, `header` and `bytes`, which must be exactly the piece's
  /// length (`header.length`). `.malformed` for a header that describes no valid cut.
  @discardableResult
  public static func writePiece(
    _ header: PieceHeader, bytes: UnsafeRawBufferPointer,
    into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    guard header.isValid, bytes.count == header.length else { throw .malformed }
    guard buffer.count >= PieceHeader.size + bytes.count else { throw .truncated }
    buffer[0] = InnerKind.piece.rawValue
    buffer.storeLE32(header.messageID, at: 1)
    buffer.storeLE16(UInt16(header.totalLength), at: 5)
    buffer.storeLE16(UInt16(header.pieceLength), at: 7)
    buffer[9] = UInt8(header.index)
    buffer.copy(bytes, to: PieceHeader.size)
    return PieceHeader.size + bytes.count
  }

  /// Writes an observed endpoint (8 bytes for IPv4, 20 for IPv6).
  @discardableResult
  public static func writeObservedEndpoint(
    _ endpoint: Endpoint, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    let total = endpoint.isIPv6 ? 20 : 8
    guard buffer.count >= total else { throw .truncated }
    buffer[0] = InnerKind.observedEndpoint.rawValue
    switch endpoint.address {
    case .v4(let a):
      buffer[1] = HandshakePayload.familyV4
      for i in 0..<4 { buffer[2 + i] = UInt8(truncatingIfNeeded: a >> (24 - 8 * i)) }
    case .v6(let hi, let lo):
      buffer[1] = HandshakePayload.familyV6
      for i in 0..<8 {
        buffer[2 + i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * i))
        buffer[10 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * i))
      }
    }
    buffer[total - 2] = UInt8(truncatingIfNeeded: endpoint.port)
    buffer[total - 1] = UInt8(truncatingIfNeeded: endpoint.port >> 8)
    return total
  }

  /// Writes a punch request: kind, peer (u64), and the endpoint as in kind 10 when given
  /// (9, 16 or 28 bytes).
  @discardableResult
  public static func writePunchRequest(
    peer: PeerID, endpoint: Endpoint?, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    guard buffer.count >= 9 else { throw .truncated }
    var n = 9
    if let endpoint {
      // Kind 10's layout from offset 8; its kind byte is overwritten by the ID's last byte.
      n =
        8
        + (try writeObservedEndpoint(
          endpoint, into: UnsafeMutableRawBufferPointer(rebasing: buffer[8...])))
    }
    buffer[0] = InnerKind.punchRequest.rawValue
    buffer.storeLE64(peer.rawValue, at: 1)
    return n
  }

  /// Writes an endpoint probe or its reply (6 bytes).
  @discardableResult
  public static func writeEndpointProbe(
    _ probe: EndpointProbe, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    guard buffer.count >= EndpointProbe.size else { throw .truncated }
    buffer[0] = InnerKind.endpointProbe.rawValue
    buffer.storeLE32(probe.probeID, at: 1)
    buffer[5] = probe.isReply ? 1 : 0
    return EndpointProbe.size
  }

  private static func checkFrame(_ frame: UnsafeRawBufferPointer) throws(WireError) {
    guard frame.count >= WireLimits.ethernetHeader else { throw .truncated }
    guard frame.count <= WireLimits.maxFrame else { throw .oversized }
  }
}
