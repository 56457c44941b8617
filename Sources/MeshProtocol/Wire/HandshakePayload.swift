import MeshTypes

/// The plaintext carried inside Noise message 1 and 2: who the sender is and where to reach it.
///
/// Layout: version (1) = 1 · flags (1) · timestamp (u64, wall-clock ns, nonzero) ·
/// nicknameLength (1) · nickname (UTF-8) · endpointCount (1) · endpoints, each
/// family (1: 4 or 6) · address (4 or 16 bytes, network byte order) · port (u16 LE).
/// Decoding is strict: unknown families, invalid UTF-8 and trailing bytes are rejected.
public struct HandshakePayload: Equatable, Sendable {
  /// The only payload version this implementation speaks.
  public static let currentVersion: UInt8 = 1
  /// Address family byte for IPv4 endpoints.
  public static let familyV4: UInt8 = 4
  /// Address family byte for IPv6 endpoints.
  public static let familyV6: UInt8 = 6
  /// Bytes before the nickname: version, flags, timestamp, nicknameLength.
  static let fixedPrefix = 1 + 1 + 8 + 1
  /// The largest encoded endpoint: family, IPv6 address, port.
  static let maxEndpointSize = 1 + 16 + 2
  /// The largest possible encoding; by construction ≤ `WireLimits.maxHandshakePayload`.
  public static let maxEncodedLength =
    fixedPrefix + WireLimits.maxNickname + 1 + WireLimits.maxEndpoints * maxEndpointSize

  /// Feature bits: bit 0 (`MeshHandshake.flagAcceptsOffload`) says the sender takes offloaded
  /// frames (inner kinds 5 and 6); the other bits are written 0 and ignored when read.
  public var flags: UInt8
  /// The sender's wall-clock time in nanoseconds: a receiver drops an initiation that is not
  /// newer than the last one from the same static key (replayed initiations do nothing).
  public var timestamp: UInt64
  /// The sender's host name, at most `WireLimits.maxNickname` UTF-8 bytes.
  public var nickname: String
  /// Where the sender listens, at most `WireLimits.maxEndpoints`.
  public var endpoints: [Endpoint]

  /// Creates a payload from its fields.
  public init(flags: UInt8 = 0, timestamp: UInt64, nickname: String, endpoints: [Endpoint]) {
    self.flags = flags
    self.timestamp = timestamp
    self.nickname = nickname
    self.endpoints = endpoints
  }

  /// The encoded payload. Throws `.malformed` for a zero timestamp and `.oversized` for a
  /// nickname or endpoint list over its bound.
  public func encode() throws(WireError) -> [UInt8] {
    guard timestamp != 0 else { throw .malformed }
    let name = Array(nickname.utf8)
    guard name.count <= WireLimits.maxNickname else { throw .oversized }
    guard endpoints.count <= WireLimits.maxEndpoints else { throw .oversized }
    var out: [UInt8] = [Self.currentVersion, flags]
    out.reserveCapacity(Self.maxEncodedLength)
    out.appendLE64(timestamp)
    out.append(UInt8(name.count))
    out += name
    out.append(UInt8(endpoints.count))
    for endpoint in endpoints {
      switch endpoint.address {
      case .v4(let a):
        out.append(Self.familyV4)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: a >> (24 - 8 * i))) }
      case .v6(let hi, let lo):
        out.append(Self.familyV6)
        for half in [hi, lo] {
          for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: half >> (56 - 8 * i))) }
        }
      }
      out.appendLE16(endpoint.port)
    }
    return out
  }

  /// Decodes a payload strictly; see the type's layout for the rules.
  public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Self {
    guard bytes.count <= WireLimits.maxHandshakePayload else { throw .oversized }
    guard bytes.count >= fixedPrefix else { throw .truncated }
    guard bytes[0] == currentVersion else { throw .unsupportedVersion(bytes[0]) }
    let flags = bytes[1]
    let timestamp = bytes.le64(at: 2)
    guard timestamp != 0 else { throw .malformed }
    let nameLength = Int(bytes[10])
    guard nameLength <= WireLimits.maxNickname else { throw .oversized }
    var offset = fixedPrefix
    guard bytes.count >= offset + nameLength + 1 else { throw .truncated }
    let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + nameLength])
    guard let nickname = String(validating: nameBytes, as: UTF8.self),
      nameLength == 0 || DisplayText.isValid(nickname, maxBytes: WireLimits.maxNickname)
    else { throw .malformed }
    offset += nameLength
    let endpointCount = Int(bytes[offset])
    offset += 1
    guard endpointCount <= WireLimits.maxEndpoints else { throw .oversized }
    var endpoints: [Endpoint] = []
    endpoints.reserveCapacity(endpointCount)
    for _ in 0..<endpointCount {
      guard offset < bytes.count else { throw .truncated }
      let family = bytes[offset]
      offset += 1
      let address: Endpoint.Address
      switch family {
      case familyV4:
        guard bytes.count >= offset + 4 + 2 else { throw .truncated }
        address = .v4(bytes.be32(at: offset))
        offset += 4
      case familyV6:
        guard bytes.count >= offset + 16 + 2 else { throw .truncated }
        address = .v6(bytes.be64(at: offset), bytes.be64(at: offset + 8))
        offset += 16
      default:
        throw .malformed
      }
      endpoints.append(Endpoint(address: address, port: bytes.le16(at: offset)))
      offset += 2
    }
    guard offset == bytes.count else { throw .malformed }
    return HandshakePayload(
      flags: flags, timestamp: timestamp, nickname: nickname, endpoints: endpoints)
  }

  /// `decode` for a byte array.
  public static func decode(_ bytes: [UInt8]) throws(WireError) -> Self {
    try HandshakeCodec.withBytes(bytes) { raw throws(WireError) in try decode(raw) }
  }
}
