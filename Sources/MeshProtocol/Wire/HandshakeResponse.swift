/// Handshake message type 2: the responder's Noise message 2 with both session indices.
///
/// Layout: header (4) · senderIndex (u32) · receiverIndex (u32) · noise (96 ... 608) ·
/// mac1 (16) · mac2 (16).
public struct HandshakeResponse: Equatable, Sendable {
  /// The responder's index for the new session.
  public var senderIndex: UInt32
  /// The initiator's senderIndex, echoed so the initiator finds its pending handshake.
  public var receiverIndex: UInt32
  /// The Noise message 2 bytes.
  public var noise: [UInt8]
  /// mac1: keyed BLAKE2b-128 of the bytes before it (zeros until computed).
  public var mac1: [UInt8]
  /// mac2: keyed with a cookie, or all zeros when the sender holds no cookie.
  public var mac2: [UInt8]

  /// Bytes before the Noise message: common header and both indices.
  public static let noiseOffset = WireMessageType.headerSize + 8
  /// The smallest valid message.
  public static let minLength =
    noiseOffset + WireLimits.minHandshakeNoise + 2 * WireLimits.macLength
  /// The largest valid message.
  public static let maxLength =
    noiseOffset + WireLimits.maxHandshakeNoise + 2 * WireLimits.macLength

  /// Creates a message; the MACs default to zeros, to be filled with `HandshakeMACRanges`.
  public init(
    senderIndex: UInt32, receiverIndex: UInt32, noise: [UInt8],
    mac1: [UInt8] = Array(repeating: 0, count: WireLimits.macLength),
    mac2: [UInt8] = Array(repeating: 0, count: WireLimits.macLength)
  ) {
    self.senderIndex = senderIndex
    self.receiverIndex = receiverIndex
    self.noise = noise
    self.mac1 = mac1
    self.mac2 = mac2
  }

  /// The encoded datagram. Throws `.truncated`/`.oversized` when `noise` is outside its bounds
  /// and `.malformed` when a MAC is not 16 bytes.
  public func encode() throws(WireError) -> [UInt8] {
    try HandshakeCodec.checkNoise(noise.count)
    try HandshakeCodec.checkMACs(mac1, mac2)
    var out: [UInt8] = []
    out.reserveCapacity(Self.noiseOffset + noise.count + 2 * WireLimits.macLength)
    out.appendLE32(UInt32(WireMessageType.handshakeResponse.rawValue))
    out.appendLE32(senderIndex)
    out.appendLE32(receiverIndex)
    out += noise
    out += mac1
    out += mac2
    return out
  }

  /// Decodes a whole datagram, checking the header, the type and every bound.
  public static func decode(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> Self {
    try WireMessageType.handshakeResponse.expect(in: datagram)
    let noise = try HandshakeCodec.noiseRange(in: datagram.count, offset: noiseOffset)
    let macs = try HandshakeMACRanges(messageLength: datagram.count)
    return HandshakeResponse(
      senderIndex: datagram.le32(at: 4),
      receiverIndex: datagram.le32(at: 8),
      noise: datagram.bytes(at: noise.lowerBound, count: noise.count),
      mac1: datagram.bytes(at: macs.mac1.lowerBound, count: WireLimits.macLength),
      mac2: datagram.bytes(at: macs.mac2.lowerBound, count: WireLimits.macLength))
  }

  /// `decode` for a byte array.
  public static func decode(_ datagram: [UInt8]) throws(WireError) -> Self {
    try HandshakeCodec.withBytes(datagram) { raw throws(WireError) in try decode(raw) }
  }
}
