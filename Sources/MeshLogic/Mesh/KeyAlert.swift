import MeshProtocol
import MeshTypes

/// A member's signed warning that two live hosts answer for `subject`'s key: the one at
/// `kept`, which held the session first, and a clone at `refused`.
///
/// The host that sees the two (`MeshEngine.moveEndpoint`) is usually the only one: the others
/// refuse the clone at once or never meet it. So it floods this alert through gossip, signed
/// with its own key, and every member reports the duplicate (status, a warning, a metric),
/// the subject itself included. A member gone bad can raise false alerts, but only under its
/// own name, which every report shows.
///
/// Layout (kind 5 of `GossipMessage`): reporter (8) · subject (8) · issued (8, the reporter's
/// wall clock in ns) · kept · refused (each family (1: 4 or 6) · address · port (2)) ·
/// signature (64, XEdDSA by the reporter's key over `signingBytes`).
public struct KeyAlert: Hashable, Sendable {
  /// The member that saw the two hosts and signed the alert.
  public var reporter: PeerID
  /// The key two hosts use.
  public var subject: PeerID
  /// When the reporter issued it (its wall clock, ns); alerts older than
  /// `KeyContests.window` are dropped, so one cannot be replayed later.
  public var issued: UInt64
  /// The endpoint the reporter keeps for the subject.
  public var kept: Endpoint
  /// The clone's endpoint, which the reporter refuses.
  public var refused: Endpoint
  /// XEdDSA by the reporter's static key over `signingBytes`.
  public var signature: [UInt8]

  /// The length of `signature`.
  public static let signatureLength = XEdDSA.signatureLength
  /// The largest encoded alert: two IPv6 endpoints.
  public static let maxEncodedLength = 8 + 8 + 8 + 2 * 19 + signatureLength
  /// Separates alert signatures from record signatures made with the same key.
  static let domain = Array("meshd key alert 1".utf8)

  /// An unsigned alert from its fields.
  public init(
    reporter: PeerID, subject: PeerID, issued: UInt64, kept: Endpoint, refused: Endpoint
  ) {
    self.reporter = reporter
    self.subject = subject
    self.issued = issued
    self.kept = kept
    self.refused = refused
    self.signature = [UInt8](repeating: 0, count: Self.signatureLength)
  }

  /// What the signature covers: the domain and every field before the signature.
  public var signingBytes: [UInt8] {
    var out = Self.domain
    encodeFields(into: &out)
    return out
  }

  /// Whether `signature` verifies with `key`, which must be the reporter's.
  public func verify(by key: PublicKey) -> Bool {
    key.peerID == reporter && XEdDSA.verify(signature, of: signingBytes, by: key)
  }

  func encodeFields(into out: inout [UInt8]) {
    out.appendWordLE(reporter.rawValue)
    out.appendWordLE(subject.rawValue)
    out.appendWordLE(issued)
    out.appendEndpoint(kept)
    out.appendEndpoint(refused)
  }

  /// Appends the encoded alert.
  func encode(into out: inout [UInt8]) {
    encodeFields(into: &out)
    out += signature
  }

  /// Decodes one alert strictly (the signature is checked by the receiver).
  static func decode(_ reader: inout ByteReader) throws(WireError) -> KeyAlert {
    let reporter = PeerID(rawValue: try reader.le64())
    let subject = PeerID(rawValue: try reader.le64())
    let issued = try reader.le64()
    let kept = try reader.endpoint()
    let refused = try reader.endpoint()
    var alert = KeyAlert(
      reporter: reporter, subject: subject, issued: issued, kept: kept, refused: refused)
    alert.signature = try reader.take(signatureLength)
    return alert
  }
}
