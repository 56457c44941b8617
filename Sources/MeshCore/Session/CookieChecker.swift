/// The responder's side of WireGuard-style cookies: under load, a handshake must carry mac2,
/// a MAC keyed with a cookie that only someone who can receive at the source address could
/// have obtained. Spoofed floods then cost a hash, not a Diffie-Hellman.
struct CookieChecker {
  /// How long a cookie secret lives; cookies made with it expire with it.
  static let secretLifetime = 120.0
  private var secret: [UInt8] = []
  private var created: MeshInstant?

  /// The cookie for `source` at `now`, rotating the secret when it is too old.
  mutating func cookie(for source: Endpoint, now: MeshInstant, random: inout any RandomSource)
    -> [UInt8]
  {
    if created.map({ now.seconds(since: $0) >= CookieChecker.secretLifetime }) ?? true {
      secret = random.bytes(32)
      created = now
    }
    return Blake2b.mac(key: secret, data: CookieChecker.bytes(of: source), outputLength: 16)
  }

  /// Whether `message` carries a valid mac2 for `source`.
  func verifyMac2(_ message: UnsafeRawBufferPointer, source: Endpoint, now: MeshInstant) -> Bool {
    guard let created, now.seconds(since: created) < CookieChecker.secretLifetime,
      message.count >= HandshakeMACRanges.minMessageLength
    else { return false }
    let cookie = Blake2b.mac(key: secret, data: CookieChecker.bytes(of: source), outputLength: 16)
    let end = message.count - 16
    let expected = Blake2b.mac(key: cookie, data: Array(message[..<end]), outputLength: 16)
    return Sodium.constantTimeEqual(expected, Array(message[end...]))
  }

  /// The address and port as bytes, the input of a cookie.
  static func bytes(of e: Endpoint) -> [UInt8] {
    var out: [UInt8] = []
    switch e.address {
    case .v4(let a): withUnsafeBytes(of: a.bigEndian) { out += $0 }
    case .v6(let hi, let lo):
      withUnsafeBytes(of: hi.bigEndian) { out += $0 }
      withUnsafeBytes(of: lo.bigEndian) { out += $0 }
    }
    withUnsafeBytes(of: e.port.bigEndian) { out += $0 }
    return out
  }
}
