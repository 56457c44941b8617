import MeshProtocol
import MeshTypes

/// What the mesh knows about one host: who it is, where to reach it, and which hosts it has a
/// direct session with. Records are gossiped and merged; the one with the higher `version` wins.
///
/// A record is only valid when `id` is the ID derived from `publicKey`, so a member cannot
/// publish a record for an ID whose key it does not claim, and every collection in it is
/// bounded (see `validate()`).
public struct PeerRecord: Equatable, Hashable, Sendable {
  /// The host's short ID; must equal `publicKey.peerID`.
  public var id: PeerID
  /// The host's static X25519 public key, the one its handshakes prove.
  public var publicKey: PublicKey
  /// The host name, at most `WireLimits.maxNickname` UTF-8 bytes; for operators only.
  public var nickname: String
  /// Where the host listens, at most `WireLimits.maxEndpoints`; other hosts dial these.
  public var endpoints: [Endpoint]
  /// The record's version. The owner uses wall-clock nanoseconds, so a restarted host's new
  /// record beats the one gossiped before the restart.
  public var version: UInt64
  /// The hosts this host has an established direct session with: strictly ascending, without
  /// the host itself, at most `MeshLimits.maxConnections`. Routes use the symmetric edges.
  public var connections: [PeerID]
  /// The host subnet this host claims (IPAM), carried as is.
  public var subnet: IPv4Network?
  /// When the subnet was claimed (wall-clock ns); of two claims of one subnet the earlier
  /// wins. Zero without a subnet.
  public var subnetClaimedAt: UInt64 = 0
  /// True once the host has been released for good (a tombstone): it keeps the ID from coming
  /// back with an older record, and routes ignore it.
  public var departed: Bool
  /// The names the host publishes (containers, services, manual names; see `NameEntry`), in
  /// canonical order (`NameEntry.precedes`), each with `host == id`, at most
  /// `NameLimits.maxNamesPerHost` taking at most `NameLimits.maxNameBytes` on the wire;
  /// empty on a tombstone. Signed with the rest of the record, so only the host itself can
  /// publish names in its record.
  public var names: [NameEntry] = []
  /// Who signed the record: its host (almost always), or an operator (a tombstone only).
  public var authority: RecordAuthority = .owner
  /// The signature (`signatureLength` bytes) over `signingBytes`: XEdDSA by `publicKey`, or
  /// Ed25519 by the operator key of `authority`. All zero until signed; receivers drop a
  /// record whose signature does not verify (see `verifySignature(operatorKeys:)`).
  public var signature = [UInt8](repeating: 0, count: PeerRecord.signatureLength)

  /// Creates a record from its fields; `connections` are sorted and de-duplicated here.
  public init(
    publicKey: PublicKey, nickname: String, endpoints: [Endpoint] = [], version: UInt64,
    connections: [PeerID] = [], subnet: IPv4Network? = nil, departed: Bool = false
  ) {
    self.init(
      id: publicKey.peerID, publicKey: publicKey, nickname: nickname, endpoints: endpoints,
      version: version, connections: PeerRecord.normalized(connections), subnet: subnet,
      departed: departed)
  }

  /// Creates a record with every field given as is, for decoders; call `validate()` before
  /// trusting it.
  public init(
    id: PeerID, publicKey: PublicKey, nickname: String, endpoints: [Endpoint], version: UInt64,
    connections: [PeerID], subnet: IPv4Network?, departed: Bool
  ) {
    self.id = id
    self.publicKey = publicKey
    self.nickname = nickname
    self.endpoints = endpoints
    self.version = version
    self.connections = connections
    self.subnet = subnet
    self.departed = departed
  }

  /// `ids` sorted ascending without duplicates: the form `connections` must have.
  public static func normalized(_ ids: [PeerID]) -> [PeerID] {
    var out = ids.sorted()
    var write = 0
    for read in out.indices where read == 0 || out[read] != out[write - 1] {
      out[write] = out[read]
      write += 1
    }
    out.removeLast(out.count - write)
    return out
  }

  /// Checks the bounds and the shape of the record, then that `id` derives from `publicKey`
  /// (a BLAKE2b hash, done last because it is the costly check).
  public func validate() throws(GossipError) {
    try validateShape()
    guard publicKey.peerID == id else { throw .idMismatch }
  }

  /// The cheap checks of `validate()`: bounds, ordering, no self-connection.
  func validateShape() throws(GossipError) {
    guard nickname.utf8.count <= WireLimits.maxNickname else { throw .nicknameTooLong }
    guard nickname.isEmpty || DisplayText.isValid(nickname, maxBytes: WireLimits.maxNickname)
    else { throw .nicknameUnprintable }
    guard endpoints.count <= WireLimits.maxEndpoints else { throw .tooManyEndpoints }
    guard connections.count <= MeshLimits.maxConnections else { throw .tooManyConnections }
    guard PeerRecord.isStrictlyAscending(connections), !lists(id) else {
      throw .badConnections
    }
    if !names.isEmpty { try validateNames() }
  }

  /// The names' bounds and shape: count, wire size, each well-formed and this host's, in
  /// strictly ascending canonical order, none on a tombstone.
  func validateNames() throws(GossipError) {
    guard !departed, names.count <= NameLimits.maxNamesPerHost else { throw .badNames }
    var bytes = 1
    for (index, entry) in names.enumerated() {
      guard entry.host == id, entry.isWellFormed else { throw .badNames }
      guard index == 0 || names[index - 1].precedes(entry) else { throw .badNames }
      bytes += entry.encodedSize
    }
    guard bytes <= NameLimits.maxNameBytes else { throw .badNames }
  }

  /// True when `ids` is strictly ascending (sorted, no duplicates).
  static func isStrictlyAscending(_ ids: [PeerID]) -> Bool {
    var index = 1
    while index < ids.count {
      if ids[index - 1] >= ids[index] { return false }
      index += 1
    }
    return true
  }

  /// Whether this record lists `peer` among its connections (binary search).
  public func lists(_ peer: PeerID) -> Bool {
    var low = 0
    var high = connections.count
    while low < high {
      let mid = (low + high) / 2
      let value = connections[mid]
      if value == peer { return true }
      if value < peer { low = mid + 1 } else { high = mid }
    }
    return false
  }

  /// Whether the two records say the same thing apart from `version` and the signature;
  /// `setLocal` uses it to bump the version (and sign) only on a real change.
  public func sameContent(as other: PeerRecord) -> Bool {
    var copy = other
    copy.version = version
    copy.authority = authority
    copy.signature = signature
    return copy == self
  }

  /// The canonical encoding of the whole record, signature included (one segment holding
  /// every connection, with no size limit). Merge breaks ties between different records of equal version by comparing
  /// these bytes, so every host picks the same winner.
  public var canonicalBytes: [UInt8] {
    var out: [UInt8] = []
    RecordSegment.encode(self, connections: connections[...], offset: 0, into: &out)
    return out
  }

  /// Whether `self` should replace `other` (same ID): a higher version, or the same version
  /// with different content and lexicographically larger canonical bytes.
  public func supersedes(_ other: PeerRecord) -> Bool {
    if version != other.version { return version > other.version }
    if self == other { return false }
    return canonicalBytes.lexicographicallyPrecedes(other.canonicalBytes) == false
  }
}
