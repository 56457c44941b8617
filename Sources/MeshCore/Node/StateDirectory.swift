import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes

/// The daemon's state directory: its identity key now, known peers and the IPAM claim later.
/// Every file is written atomically; a corrupt file is an error that names it, never a silent
/// new identity.
public struct StateDirectory: Sendable {
  /// The directory's path.
  public let path: String

  /// The file holding this host's private key.
  public var keyPath: String { path + "/private.key" }

  /// The file listing the peers to reconnect to after a restart, one endpoint a line.
  public var knownPeersPath: String { path + "/known-peers" }

  /// The file holding this host's IPAM claim: `SUBNET CLAIMED-AT-NS`.
  public var claimPath: String { path + "/ipam-claim" }

  /// This host's IPAM claim from before a restart; nil when there is none.
  public func loadClaim() throws(SecureFile.Failure) -> SubnetClaim? {
    let bytes: [UInt8]
    do {
      bytes = try SecureFile.read(claimPath, requirePrivate: false, followSymlinks: false)
    } catch .missing {
      return nil
    }
    let parts = SecureFile.text(bytes).split(separator: " ")
    guard parts.count == 2, let subnet = IPv4Network(String(parts[0])),
      let at = UInt64(parts[1])
    else {
      throw .malformed(
        claimPath,
        "expected SUBNET CLAIMED-AT-NANOSECONDS (e.g. 10.47.5.0/24 1700000000000000000)")
    }
    return SubnetClaim(subnet: subnet, claimedAt: at)
  }

  /// Saves this host's IPAM claim, atomically.
  public func saveClaim(_ claim: SubnetClaim) throws(SecureFile.Failure) {
    try SecureFile.writeAtomically(
      claimPath, Array("\(claim.subnet) \(claim.claimedAt)\n".utf8), mode: 0o600)
  }

  /// The most known peers remembered.
  public static let maxKnownPeers = 4096

  /// Wraps a directory path; nothing is touched until used.
  public init(path: String) { self.path = path }

  /// Loads the private key, creating the directory and a new key at first start.
  /// Also removes temporary files that a write interrupted by a crash left behind.
  public func loadOrCreateKey() throws(SecureFile.Failure) -> PrivateKey {
    SecureFile.removeStaleTemporaries(of: keyPath)
    SecureFile.removeStaleTemporaries(of: knownPeersPath)
    do {
      return try StateDirectory.readKey(keyPath)
    } catch .missing {
      try SecureFile.makeDirectory(path)
      let key = PrivateKey.generate()
      var text = key.withUnsafeBytes { Base64.encodedASCII($0) }
      text.append(0x0A)
      defer { Sodium.memzero(&text) }
      try SecureFile.writeAtomically(keyPath, text)
      return key
    }
  }

  /// The remembered peers; none when the file does not exist yet.
  public func loadKnownPeers() throws(SecureFile.Failure) -> [Endpoint] {
    try loadKnownPeerEntries().map(\.endpoint)
  }

  /// The remembered peers with how long each that never answered has gone unanswered.
  public func loadKnownPeerEntries() throws(SecureFile.Failure) -> [KnownPeer] {
    let bytes: [UInt8]
    do {
      // meshd writes this file itself (atomically, as a regular file): a link here is not
      // ours, and following it could echo another file's first line in an error.
      bytes = try SecureFile.read(knownPeersPath, requirePrivate: false, followSymlinks: false)
    } catch .missing {
      return []
    }
    return try StateDirectory.parseKnownPeerEntries(text: String(decoding: bytes, as: UTF8.self))
      .mapError(path: knownPeersPath)
  }

  /// Replaces the remembered peers, atomically.
  public func saveKnownPeers(_ endpoints: [Endpoint]) throws(SecureFile.Failure) {
    try saveKnownPeers(endpoints.map { KnownPeer($0) })
  }

  /// Replaces the remembered peers, atomically, each that never answered with its age and
  /// attempts.
  public func saveKnownPeers(_ peers: [KnownPeer]) throws(SecureFile.Failure) {
    let lines = peers.prefix(StateDirectory.maxKnownPeers).map { peer in
      guard let u = peer.unanswered else { return "\(peer.endpoint)\n" }
      return "\(peer.endpoint) unanswered-since=\(u.since) attempts=\(u.attempts)\n"
    }
    let text = "# peers meshd reconnects to after a restart\n" + lines.joined()
    try SecureFile.writeAtomically(knownPeersPath, Array(text.utf8), mode: 0o600)
  }

  /// Reads a base64 private key file that only its owner may read.
  public static func readKey(_ path: String) throws(SecureFile.Failure) -> PrivateKey {
    var bytes = try SecureFile.read(path, requirePrivate: true)
    defer { Sodium.memzero(&bytes) }
    return try parseKey(utf8: bytes).mapError(path: path)
  }

  /// Reads an allow-list: one base64 public key a line, `#` comments. An empty list is
  /// allowed (nobody may join).
  public static func readAllowedKeys(_ path: String) throws(SecureFile.Failure) -> Set<PublicKey> {
    let text = String(decoding: try SecureFile.read(path, requirePrivate: false), as: UTF8.self)
    return try parseAllowedKeys(text: text).mapError(path: path)
  }

  /// Reads a base64 32-byte cluster secret file that only its owner may read.
  public static func readSecret(_ path: String) throws(SecureFile.Failure) -> SymmetricKey {
    var bytes = try SecureFile.read(path, requirePrivate: true)
    defer { Sodium.memzero(&bytes) }
    return try parseSecret(utf8: bytes).mapError(path: path)
  }
}
