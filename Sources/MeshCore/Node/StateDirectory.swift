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

  /// The most known peers remembered.
  public static let maxKnownPeers = 4096

  /// Wraps a directory path; nothing is touched until used.
  public init(path: String) { self.path = path }

  /// Loads the private key, creating the directory and a new key at first start.
  public func loadOrCreateKey() throws(SecureFile.Failure) -> PrivateKey {
    do {
      return try StateDirectory.readKey(keyPath)
    } catch .missing {
      try SecureFile.makeDirectory(path)
      let key = PrivateKey.generate()
      try SecureFile.writeAtomically(keyPath, Array((key.base64 + "\n").utf8))
      return key
    }
  }

  /// The remembered peers; none when the file does not exist yet.
  public func loadKnownPeers() throws(SecureFile.Failure) -> [Endpoint] {
    let bytes: [UInt8]
    do {
      bytes = try SecureFile.read(knownPeersPath, requirePrivate: false)
    } catch .missing {
      return []
    }
    var out: [Endpoint] = []
    for (n, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() {
      let text = String(line).trimmingWhitespace()
      if text.isEmpty || text.hasPrefix("#") { continue }
      guard let e = Endpoint(text) else {
        throw .malformed(knownPeersPath, "line \(n + 1): \(text) is not an IP endpoint")
      }
      out.append(e)
      guard out.count <= StateDirectory.maxKnownPeers else {
        throw .malformed(knownPeersPath, "more than \(StateDirectory.maxKnownPeers) peers")
      }
    }
    return out
  }

  /// Replaces the remembered peers, atomically.
  public func saveKnownPeers(_ endpoints: [Endpoint]) throws(SecureFile.Failure) {
    let text =
      "# peers meshd reconnects to after a restart\n"
      + endpoints.prefix(StateDirectory.maxKnownPeers).map { "\($0)\n" }.joined()
    try SecureFile.writeAtomically(knownPeersPath, Array(text.utf8), mode: 0o600)
  }

  /// Reads a base64 private key file that only its owner may read.
  public static func readKey(_ path: String) throws(SecureFile.Failure) -> PrivateKey {
    let text = SecureFile.text(try SecureFile.read(path, requirePrivate: true))
    guard let key = try? PrivateKey(base64: text) else {
      throw .malformed(path, "not a base64 X25519 private key (expected 44 characters)")
    }
    return key
  }

  /// Reads an allow-list: one base64 public key a line, `#` comments. An empty list is
  /// allowed (nobody may join).
  public static func readAllowedKeys(_ path: String) throws(SecureFile.Failure) -> Set<PublicKey> {
    let bytes = try SecureFile.read(path, requirePrivate: false)
    var keys = Set<PublicKey>()
    for (n, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() {
      let text = String(line).trimmingWhitespace()
      if text.isEmpty || text.hasPrefix("#") { continue }
      guard let key = try? PublicKey(base64: text) else {
        throw .malformed(path, "line \(n + 1): not a base64 X25519 public key")
      }
      keys.insert(key)
    }
    return keys
  }

  /// Reads a base64 32-byte cluster secret file that only its owner may read.
  public static func readSecret(_ path: String) throws(SecureFile.Failure) -> SymmetricKey {
    let text = SecureFile.text(try SecureFile.read(path, requirePrivate: true))
    guard let bytes = Base64.decode(text), bytes.count == 32,
      let key = try? SymmetricKey(bytes: bytes)
    else {
      throw .malformed(path, "not a base64 32-byte cluster secret (make one with meshd gen-secret)")
    }
    return key
  }
}
