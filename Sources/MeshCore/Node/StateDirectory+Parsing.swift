import MeshIO
import MeshProtocol
import MeshTypes

/// Why the text of a state or configuration file is not valid; the file readers turn it into
/// `SecureFile.Failure.malformed` with the file's path.
public struct StateFileSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What is wrong, without the path (`line 3: … is not an IP endpoint`).
  public var reason: String

  /// Creates an error with a reason.
  public init(_ reason: String) { self.reason = reason }

  /// The reason.
  public var description: String { reason }
}

/// The pure parsers behind the file readers: text in, values out, no I/O. The fuzzers and unit
/// tests call them directly.
extension StateDirectory {
  /// Parses a private key file: one base64 X25519 private key, surrounding white space
  /// ignored.
  public static func parseKey(text: String) -> Result<PrivateKey, StateFileSyntaxError> {
    var utf8 = Array(text.utf8)
    defer { Sodium.memzero(&utf8) }
    return parseKey(utf8: utf8)
  }

  /// `parseKey` on the file's bytes as read, decoded in place into the key's storage, so the
  /// key text need not become a `String` (which cannot be zeroed); the caller zeroes `utf8`.
  static func parseKey(utf8: [UInt8]) -> Result<PrivateKey, StateFileSyntaxError> {
    let decoded = utf8.withUnsafeBytes {
      Base64.decodeSecretKey(utf8: $0, length: PrivateKey.length)
    }
    guard case .success(let storage) = decoded else {
      return .failure(
        StateFileSyntaxError("not a base64 X25519 private key (expected 44 characters)"))
    }
    return .success(PrivateKey(storage: storage))
  }

  /// Parses a cluster secret file: base64 of exactly 32 bytes, surrounding white space
  /// ignored.
  public static func parseSecret(text: String) -> Result<SymmetricKey, StateFileSyntaxError> {
    var utf8 = Array(text.utf8)
    defer { Sodium.memzero(&utf8) }
    return parseSecret(utf8: utf8)
  }

  /// `parseSecret` on the file's bytes as read, like `parseKey(utf8:)`; the caller zeroes
  /// `utf8`.
  static func parseSecret(utf8: [UInt8]) -> Result<SymmetricKey, StateFileSyntaxError> {
    let decoded = utf8.withUnsafeBytes {
      Base64.decodeSecretKey(utf8: $0, length: SymmetricKey.length)
    }
    guard case .success(let storage) = decoded else {
      return .failure(
        StateFileSyntaxError(
          "not a base64 32-byte cluster secret (make one with meshd gen-secret)"))
    }
    return .success(SymmetricKey(storage: storage))
  }

  /// Parses an allow-list: one base64 public key a line, blank lines and `#` comments
  /// ignored, at most `maxKnownPeers` keys.
  public static func parseAllowedKeys(text: String) -> Result<Set<PublicKey>, StateFileSyntaxError>
  {
    var keys = Set<PublicKey>()
    for (n, line) in lines(of: text) {
      guard let key = try? PublicKey(base64: line) else {
        return .failure(StateFileSyntaxError("line \(n): not a base64 X25519 public key"))
      }
      keys.insert(key)
      guard keys.count <= maxKnownPeers else {
        return .failure(StateFileSyntaxError("more than \(maxKnownPeers) keys"))
      }
    }
    return .success(keys)
  }

  /// Parses a known-peers file: one IP endpoint a line, blank lines and `#` comments ignored,
  /// at most `maxKnownPeers` entries.
  public static func parseKnownPeers(text: String) -> Result<[Endpoint], StateFileSyntaxError> {
    parseKnownPeerEntries(text: text).map { $0.map(\.endpoint) }
  }

  /// Parses a known-peers file with what each line says beyond its endpoint: `ENDPOINT`, or
  /// `ENDPOINT unanswered-since=SECONDS attempts=N` for an endpoint that never answered (wall
  /// clock seconds since 1970, handshake attempts so far).
  public static func parseKnownPeerEntries(
    text: String
  ) -> Result<[KnownPeer], StateFileSyntaxError> {
    var out: [KnownPeer] = []
    for (n, line) in lines(of: text) {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      guard let e = Endpoint(fields[0]) else {
        return .failure(StateFileSyntaxError("line \(n): \(fields[0]) is not an IP endpoint"))
      }
      var since: UInt64?
      var attempts: Int?
      for field in fields.dropFirst() {
        if field.hasPrefix("unanswered-since="), since == nil,
          let v = UInt64(field.dropFirst("unanswered-since=".count))
        {
          since = v
        } else if field.hasPrefix("attempts="), attempts == nil,
          let v = Int(field.dropFirst("attempts=".count)), v >= 0
        {
          attempts = v
        } else {
          return .failure(
            StateFileSyntaxError(
              "line \(n): \(DisplayText.escaped(field)) is not unanswered-since=SECONDS or "
                + "attempts=N"))
        }
      }
      guard (since == nil) == (attempts == nil) else {
        return .failure(
          StateFileSyntaxError("line \(n): unanswered-since and attempts go together"))
      }
      out.append(
        KnownPeer(e, unanswered: since.map { .init(since: $0, attempts: attempts ?? 0) }))
      guard out.count <= maxKnownPeers else {
        return .failure(StateFileSyntaxError("more than \(maxKnownPeers) peers"))
      }
    }
    return .success(out)
  }

  /// The trimmed, non-empty, non-comment lines of `text` with their 1-based numbers. Lines
  /// end with LF; a CR before it is white space.
  static func lines(of text: String) -> [(Int, String)] {
    var out: [(Int, String)] = []
    for (n, line) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
      .enumerated()
    {
      let trimmed = SecureFile.trimmed(String(decoding: line, as: UTF8.self))
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      out.append((n + 1, trimmed))
    }
    return out
  }
}

extension Result where Failure == StateFileSyntaxError {
  /// The value, or `SecureFile.Failure.malformed` naming `path`.
  func mapError(path: String) throws(SecureFile.Failure) -> Success {
    switch self {
    case .success(let v): return v
    case .failure(let e): throw .malformed(path, e.reason)
    }
  }
}
