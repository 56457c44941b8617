import MeshProtocol
import MeshTypes

/// The responder's side of WireGuard-style cookies: under load, a handshake must carry mac2,
/// a MAC keyed with a cookie that only someone who can receive at the source address could
/// have obtained. Spoofed floods then cost a hash, not a Diffie-Hellman.
struct CookieChecker {
  /// How long a cookie secret lives; cookies made with it expire with it.
  static let secretLifetime = 120.0
  /// The most cookies kept from responders under load, one per endpoint; past it the table
  /// starts again empty, so a host cannot be made to hold one per address of the internet.
  static let maxStoredCookies = 4096
  /// The random secret cookies are made with, in key storage that is zeroed when replaced.
  private var secret: SymmetricKey?
  private var created: MeshInstant?

  /// The cookie for `source` at `now`, rotating the secret when it is too old.
  mutating func cookie(for source: Endpoint, now: MeshInstant, random: inout any RandomSource)
    -> [UInt8]
  {
    if created.map({ now.seconds(since: $0) >= CookieChecker.secretLifetime }) ?? true {
      secret = SymmetricKey.generate(using: &random)
      created = now
    }
    return CookieChecker.cookie(secret: secret!, source: source)
  }

  /// Whether `message` carries a valid mac2 for `source`.
  func verifyMac2(_ message: UnsafeRawBufferPointer, source: Endpoint, now: MeshInstant) -> Bool {
    guard let created, now.seconds(since: created) < CookieChecker.secretLifetime,
      message.count >= HandshakeMACRanges.minMessageLength
    else { return false }
    guard let secret else { return false }
    var cookie = CookieChecker.cookie(secret: secret, source: source)
    defer { Sodium.memzero(&cookie) }
    let end = message.count - 16
    let expected = Blake2b.mac(key: cookie, data: Array(message[..<end]), outputLength: 16)
    return Sodium.constantTimeEqual(expected, Array(message[end...]))
  }

  /// The cookie of `source` under `secret`: keyed BLAKE2b of its address and port.
  static func cookie(secret: SymmetricKey, source: Endpoint) -> [UInt8] {
    let data = CookieChecker.bytes(of: source)
    var out = [UInt8](repeating: 0, count: 16)
    secret.withUnsafeBytes { k in
      data.withUnsafeBytes { d in
        out.withUnsafeMutableBytes { Blake2b.mac(key: k, data: d, into: $0) }
      }
    }
    return out
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
