import MeshProtocol
import MeshTypes

/// The outcomes of the last record signature checks, so a `Gossiper` never verifies the same
/// signed record twice (a record reaches a host from several neighbours, and a refused one
/// comes back with every anti-entropy round).
///
/// Keyed by ID, version and a BLAKE2b digest of the whole canonical record (signature
/// included): a signature copied onto tampered content is a different key, so a forger cannot
/// get a genuine record refused from the cache. At most `MeshLimits.maxVerifiedSignatures`
/// entries; the oldest is forgotten first.
struct SignatureCache: Sendable {
  /// One checked record.
  struct Key: Hashable, Sendable {
    /// The record's host.
    var id: PeerID
    /// The record's version.
    var version: UInt64
    /// BLAKE2b-128 of `PeerRecord.canonicalBytes`.
    var digest: [UInt8]
  }

  /// The outcome per record: nil when the signature verified, else why it was refused.
  private var outcomes: [Key: GossipError?] = [:]
  /// The keys in insertion order, a ring of `MeshLimits.maxVerifiedSignatures`.
  private var order: [Key] = []
  /// The ring slot the next key replaces, once the ring is full.
  private var next = 0

  /// The key of `record`.
  static func key(of record: PeerRecord) -> Key {
    Key(
      id: record.id, version: record.version,
      digest: Blake2b.hash(record.canonicalBytes, outputLength: 16))
  }

  /// The remembered outcome of `key`: `.some(nil)` verified, `.some(error)` refused, nil
  /// unknown.
  func outcome(_ key: Key) -> GossipError?? { outcomes[key] }

  /// Remembers the outcome of `key`, forgetting the oldest entry when full.
  mutating func remember(_ key: Key, _ outcome: GossipError?) {
    guard outcomes.updateValue(outcome, forKey: key) == nil else { return }
    if order.count < MeshLimits.maxVerifiedSignatures {
      order.append(key)
    } else {
      outcomes.removeValue(forKey: order[next])
      order[next] = key
      next = (next + 1) % order.count
    }
  }

  /// The number of outcomes remembered.
  var count: Int { outcomes.count }
}
