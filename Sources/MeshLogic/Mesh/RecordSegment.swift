import MeshProtocol
import MeshTypes

/// One datagram-sized piece of a `PeerRecord`: the record's header fields and a contiguous
/// slice of its connections. A record with thousands of connections is sent as several
/// segments; `GossipReassembly` puts them back together per (ID, version).
///
/// Layout (integers little-endian unless noted):
/// `id` (8) · `publicKey` (32) · `version` (8) · flags (1: bit 0 departed, bit 1 subnet
/// present, bit 2 signed by an operator (only with bit 0), bit 3 names present (never with
/// bit 0), other bits zero) · [subnet address
/// (4, big-endian) · prefix length (1, ≤ 32) · claimed at (8, wall-clock ns: the earlier claim
/// wins a conflict)] · nickname length (1, ≤ `WireLimits.maxNickname`) · nickname (UTF-8) ·
/// endpoint count (1, ≤ `WireLimits.maxEndpoints`) · endpoints, each family (1: 4 or 6) ·
/// address (4 or 16, big-endian) · port (2) · [operator public key (32, Ed25519), with flag
/// bit 2] · [names, with flag bit 3: count (1, 1...`NameLimits.maxNamesPerHost`) · each kind
/// (1: 0 container, 1 service, 2 manual) · name length (1) · name (lowercase DNS labels) ·
/// address (4, big-endian) · port count (1, ≤ `NameLimits.maxPortsPerName`) · ports (2
/// each); at most `NameLimits.maxNameBytes` from the count on] · signature (64: XEdDSA by `publicKey`, or Ed25519 by the operator key, over
/// `PeerRecord.signingBytes` of the whole record) · total connections (2,
/// ≤ `MeshLimits.maxConnections`) · offset (2) · count (2) · `count` connection IDs (8 each,
/// strictly ascending, inside `0..<total`).
///
/// Every segment of a record carries the same header and signature, so reassembly accepts
/// only pieces of one signed record; the signature is checked once the record is whole.
public struct RecordSegment: Equatable, Sendable {
  /// The record's header; its `connections` hold only this segment's slice.
  public var record: PeerRecord
  /// How many connections the whole record lists.
  public var totalConnections: Int
  /// Where this slice starts in the whole record's connection list.
  public var offset: Int

  /// Creates a segment from its parts.
  public init(record: PeerRecord, totalConnections: Int, offset: Int) {
    self.record = record
    self.totalConnections = totalConnections
    self.offset = offset
  }

  /// True when the segment carries the whole record.
  public var isWhole: Bool { offset == 0 && record.connections.count == totalConnections }

  /// Flag bit: the record is a tombstone.
  static let flagDeparted: UInt8 = 1
  /// Flag bit: a subnet follows.
  static let flagSubnet: UInt8 = 2
  /// Flag bit: an operator signed the record (a tombstone); its public key follows.
  static let flagOperator: UInt8 = 4
  /// Flag bit: the host's names follow the endpoints.
  static let flagNames: UInt8 = 8
  /// Bytes after the header: total, offset, count.
  static let sliceHeader = 6

  /// The encoded length of the header of `record` (everything but the connection IDs).
  static func headerSize(_ record: PeerRecord) -> Int {
    var size = 8 + PublicKey.length + 8 + 1 + (record.subnet == nil ? 0 : 13)
    size += 1 + record.nickname.utf8.count + 1
    for endpoint in record.endpoints { size += endpoint.isIPv6 ? 19 : 7 }
    if !record.names.isEmpty { size += 1 + record.names.reduce(0) { $0 + $1.encodedSize } }
    if case .operator = record.authority { size += OperatorPublicKey.length }
    return size + PeerRecord.signatureLength + sliceHeader
  }

  /// Splits `record` into segments whose encodings each fit `budget` bytes; at least one,
  /// even for a record without connections. The record must be valid (bounded fields).
  public static func split(_ record: PeerRecord, budget: Int) -> [[UInt8]] {
    let header = headerSize(record)
    let perSegment = max(1, (budget - header) / 8)
    var out: [[UInt8]] = []
    var start = 0
    repeat {
      let end = min(record.connections.count, start + perSegment)
      var bytes: [UInt8] = []
      bytes.reserveCapacity(header + 8 * (end - start))
      encode(record, connections: record.connections[start..<end], offset: start, into: &bytes)
      out.append(bytes)
      start = end
    } while start < record.connections.count
    return out
  }

  /// Appends the encoding of a segment of `record` holding `connections`, which start at
  /// `offset` of the record's list.
  static func encode(
    _ record: PeerRecord, connections: ArraySlice<PeerID>, offset: Int, into out: inout [UInt8]
  ) {
    encodeHeader(record, into: &out)
    out += record.signature
    out.appendLE16(UInt16(truncatingIfNeeded: record.connections.count))
    out.appendLE16(UInt16(truncatingIfNeeded: offset))
    out.appendLE16(UInt16(truncatingIfNeeded: connections.count))
    out.reserveCapacity(out.count + 8 * connections.count)
    for peer in connections { out.appendWordLE(peer.rawValue) }
  }

  /// Appends the header fields of `record`, from `id` to the operator key: everything a
  /// segment carries before the signature.
  static func encodeHeader(_ record: PeerRecord, into out: inout [UInt8]) {
    out.appendWordLE(record.id.rawValue)
    out += record.publicKey.bytes
    out.appendWordLE(record.version)
    var flags: UInt8 = record.departed ? flagDeparted : 0
    if record.subnet != nil { flags |= flagSubnet }
    if case .operator = record.authority { flags |= flagOperator }
    if !record.names.isEmpty { flags |= flagNames }
    out.append(flags)
    if let subnet = record.subnet {
      out.appendBE32(subnet.address)
      out.append(UInt8(subnet.prefixLength))
      out.appendWordLE(record.subnetClaimedAt)
    }
    let name = Array(record.nickname.utf8)
    out.append(UInt8(truncatingIfNeeded: name.count))
    out += name
    out.append(UInt8(truncatingIfNeeded: record.endpoints.count))
    for endpoint in record.endpoints { out.appendEndpoint(endpoint) }
    if !record.names.isEmpty { encodeNames(record.names, into: &out) }
    if case .operator(let key) = record.authority { out += key.bytes }
  }

  /// Decodes one segment at the reader's position, strictly: every count is checked against
  /// its bound before use, and the connection slice must be ascending and inside the record.
  static func decode(_ reader: inout ByteReader) throws(WireError) -> RecordSegment {
    let id = PeerID(rawValue: try reader.le64())
    guard let key = PublicKey(bytes: try reader.take(PublicKey.length)) else { throw .truncated }
    let version = try reader.le64()
    let flags = try reader.u8()
    guard flags & ~(flagDeparted | flagSubnet | flagOperator | flagNames) == 0 else {
      throw .badReserved
    }
    // Tombstones carry no names.
    guard flags & flagNames == 0 || flags & flagDeparted == 0 else { throw .malformed }
    // Operators sign tombstones only.
    guard flags & flagOperator == 0 || flags & flagDeparted != 0 else { throw .malformed }
    var subnet: IPv4Network?
    var claimedAt: UInt64 = 0
    if flags & flagSubnet != 0 {
      let address = try reader.be32()
      let prefix = Int(try reader.u8())
      guard prefix <= 32 else { throw .malformed }
      subnet = IPv4Network(address: address, prefixLength: prefix)
      claimedAt = try reader.le64()
    }
    let nameLength = Int(try reader.u8())
    guard nameLength <= WireLimits.maxNickname else { throw .oversized }
    guard let nickname = String(validating: try reader.take(nameLength), as: UTF8.self) else {
      throw .malformed
    }
    let endpointCount = Int(try reader.u8())
    guard endpointCount <= WireLimits.maxEndpoints else { throw .oversized }
    var endpoints: [Endpoint] = []
    for _ in 0..<endpointCount { endpoints.append(try reader.endpoint()) }
    let names = flags & flagNames == 0 ? [] : try decodeNames(&reader, host: id)
    var authority = RecordAuthority.owner
    if flags & flagOperator != 0 {
      authority = .operator(OperatorPublicKey(bytes: try reader.take(OperatorPublicKey.length))!)
    }
    let signature = try reader.take(PeerRecord.signatureLength)
    let total = Int(try reader.le16())
    let offset = Int(try reader.le16())
    let count = Int(try reader.le16())
    guard total <= MeshLimits.maxConnections else { throw .oversized }
    guard offset + count <= total, count > 0 || total == 0 else { throw .malformed }
    guard reader.remaining >= 8 * count else { throw .truncated }
    var connections: [PeerID] = []
    connections.reserveCapacity(count)
    for _ in 0..<count {
      let peer = PeerID(rawValue: try reader.le64())
      if let last = connections.last, last >= peer { throw .malformed }
      guard peer != id else { throw .malformed }
      connections.append(peer)
    }
    var record = PeerRecord(
      id: id, publicKey: key, nickname: nickname, endpoints: endpoints, version: version,
      connections: connections, subnet: subnet, departed: flags & flagDeparted != 0)
    record.subnetClaimedAt = claimedAt
    record.names = names
    record.authority = authority
    record.signature = signature
    return RecordSegment(record: record, totalConnections: total, offset: offset)
  }
}
