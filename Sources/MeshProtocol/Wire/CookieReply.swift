/// Handshake message type 3: an encrypted cookie, sent under load instead of a response.
///
/// Layout: header (4) · receiverIndex (u32) · nonce (24) · encryptedCookie (32); exactly
/// `CookieReply.length` (64) bytes. The cookie is a 16-byte MAC sealed with
/// XChaCha20-Poly1305 (16 + 16 tag); the sender proves with it (as mac2) that it owns its
/// source address.
public struct CookieReply: Equatable, Sendable {
  /// The senderIndex of the handshake message this replies to.
  public var receiverIndex: UInt32
  /// The 24-byte XChaCha20 nonce.
  public var nonce: [UInt8]
  /// The 32-byte sealed cookie (16 bytes of cookie and a 16-byte tag).
  public var encryptedCookie: [UInt8]

  /// The length of the nonce field.
  public static let nonceLength = 24
  /// The length of the sealed cookie field.
  public static let encryptedCookieLength = 32
  /// The exact length of the message.
  public static let length = WireMessageType.headerSize + 4 + nonceLength + encryptedCookieLength

  /// Creates a cookie reply from its fields.
  public init(receiverIndex: UInt32, nonce: [UInt8], encryptedCookie: [UInt8]) {
    self.receiverIndex = receiverIndex
    self.nonce = nonce
    self.encryptedCookie = encryptedCookie
  }

  /// The encoded datagram; `.malformed` when a field has the wrong length.
  public func encode() throws(WireError) -> [UInt8] {
    guard nonce.count == Self.nonceLength, encryptedCookie.count == Self.encryptedCookieLength
    else { throw .malformed }
    var out: [UInt8] = []
    out.reserveCapacity(Self.length)
    out.appendLE32(UInt32(WireMessageType.cookieReply.rawValue))
    out.appendLE32(receiverIndex)
    out += nonce
    out += encryptedCookie
    return out
  }

  /// Decodes a whole datagram: `.truncated` if shorter, `.oversized` if longer than 64 bytes.
  public static func decode(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> Self {
    try WireMessageType.cookieReply.expect(in: datagram)
    guard datagram.count >= length else { throw .truncated }
    guard datagram.count == length else { throw .oversized }
    return CookieReply(
      receiverIndex: datagram.le32(at: 4),
      nonce: datagram.bytes(at: 8, count: nonceLength),
      encryptedCookie: datagram.bytes(at: 8 + nonceLength, count: encryptedCookieLength))
  }

  /// `decode` for a byte array.
  public static func decode(_ datagram: [UInt8]) throws(WireError) -> Self {
    try HandshakeCodec.withBytes(datagram) { raw throws(WireError) in try decode(raw) }
  }
}
