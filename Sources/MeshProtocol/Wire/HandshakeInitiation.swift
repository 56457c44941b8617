/// Handshake message type 1: the initiator's Noise message 1 with its session index and MACs.
///
/// Layout: header (4) · senderIndex (u32) · noise (96 ... 608) · mac1 (16) · mac2 (16).
/// Handshakes are rare, so this codec copies fields into arrays; the per-packet path uses
/// `TransportHeader` instead.
public struct HandshakeInitiation: Equatable, Sendable {
  /// The initiator's index for the new session; the responder echoes it as receiverIndex.
  public var senderIndex: UInt32
  /// The Noise message 1 bytes.
  public var noise: [UInt8]
  /// mac1: keyed BLAKE2b-128 of the bytes before it (zeros until computed).
  public var mac1: [UInt8]
  /// mac2: keyed with a cookie, or all zeros when the sender holds no cookie.
  public var mac2: [UInt8]

  /// Bytes before the Noise message: common header and senderIndex.
  public static let noiseOffset = WireMessageType.headerSize + 4
  /// The smallest valid message.
  public static let minLength =
    noiseOffset + WireLimits.minHandshakeNoise + 2 * WireLimits.macLength
  /// The largest valid message.
  public static let maxLength =
    noiseOffset + WireLimits.maxHandshakeNoise + 2 * WireLimits.macLength

  /// Creates a message; the MACs default to zeros, to be filled with `HandshakeMACRanges`.
  public init(
    senderIndex: UInt32, noise: [UInt8],
    mac1: [UInt8] = Array(repeating: 0, count: WireLimits.macLength),
    mac2: [UInt8] = Array(repeating: 0, count: WireLimits.macLength)
  ) {
    self.senderIndex = senderIndex
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
    out.appendLE32(UInt32(WireMessageType.handshakeInitiation.rawValue))
    out.appendLE32(senderIndex)
    out += noise
    out += mac1
    out += mac2
    return out
  }

  /// Decodes a whole datagram, checking the header, the type and every bound.
  public static func decode(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> Self {
    try WireMessageType.handshakeInitiation.expect(in: datagram)
    let noise = try HandshakeCodec.noiseRange(in: datagram.count, offset: noiseOffset)
    let macs = try HandshakeMACRanges(messageLength: datagram.count)
    return HandshakeInitiation(
      senderIndex: datagram.le32(at: 4),
      noise: datagram.bytes(at: noise.lowerBound, count: noise.count),
      mac1: datagram.bytes(at: macs.mac1.lowerBound, count: WireLimits.macLength),
      mac2: datagram.bytes(at: macs.mac2.lowerBound, count: WireLimits.macLength))
  }

  /// `decode` for a byte array.
  public static func decode(_ datagram: [UInt8]) throws(WireError) -> Self {
    try HandshakeCodec.withBytes(datagram) { raw throws(WireError) in try decode(raw) }
  }
}

/// Checks shared by the two handshake codecs.
enum HandshakeCodec {
  static func checkNoise(_ count: Int) throws(WireError) {
    guard count >= WireLimits.minHandshakeNoise else { throw .truncated }
    guard count <= WireLimits.maxHandshakeNoise else { throw .oversized }
  }

  static func checkMACs(_ mac1: [UInt8], _ mac2: [UInt8]) throws(WireError) {
    guard mac1.count == WireLimits.macLength, mac2.count == WireLimits.macLength else {
      throw .malformed
    }
  }

  /// The Noise bytes of a handshake message of `length` bytes whose Noise part starts at
  /// `offset`, with their length bounds checked.
  static func noiseRange(in length: Int, offset: Int) throws(WireError) -> Range<Int> {
    let noiseCount = length - offset - 2 * WireLimits.macLength
    try checkNoise(noiseCount)
    return offset..<offset + noiseCount
  }

  /// Runs a typed-throwing body on the bytes of an array.
  static func withBytes<R>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(WireError) -> R
  ) throws(WireError) -> R {
    let result: Result<R, WireError> = bytes.withUnsafeBytes { raw in
      Result { () throws(WireError) in try body(raw) }
    }
    return try result.get()
  }
}
