import MeshProtocol
import MeshTypes

/// Who vouches for a `PeerRecord`: the host it describes, or (for a tombstone only) an
/// operator whose key the receiving host is configured with.
public enum RecordAuthority: Hashable, Sendable {
  /// The host itself, with an XEdDSA signature by its static X25519 key.
  case owner
  /// An operator, with an Ed25519 signature by this key; valid only on tombstones.
  case `operator`(OperatorPublicKey)
}

/// Signing and verifying records. A member gone bad holds the cluster secret and its own key,
/// so it can send any record; the signature makes it unable to speak for any other host.
extension PeerRecord {
  /// The length of a record signature in bytes (XEdDSA and Ed25519 alike).
  public static let signatureLength = XEdDSA.signatureLength

  /// The domain label that starts the signing form, so a record signature can never be taken
  /// for a signature of anything else.
  public static let signingLabel: [UInt8] = Array("meshd record v1".utf8)

  /// What the signature covers: `signingLabel` then the whole record as a segment encodes it,
  /// minus the signature and the slice fields: `id` · `publicKey` · `version` · flags
  /// (departed, subnet, operator, names) · [subnet · prefix · claimed at] · nickname ·
  /// endpoints · [names] · [operator key] · connection count (2) · every connection ID (8 each).
  public var signingBytes: [UInt8] {
    var out = Self.signingLabel
    out.reserveCapacity(out.count + RecordSegment.headerSize(self) + 8 * connections.count)
    RecordSegment.encodeHeader(self, into: &out)
    out.appendLE16(UInt16(truncatingIfNeeded: connections.count))
    for peer in connections { out.appendWordLE(peer.rawValue) }
    return out
  }

  /// This record signed by its host: `key` must be the private key of `publicKey`; `random`
  /// is XEdDSA's 64-byte Z.
  public func signed(with key: PrivateKey, random: [UInt8]) -> PeerRecord {
    var record = self
    record.authority = .owner
    record.signature = XEdDSA.sign(record.signingBytes, with: key, random: random)
    return record
  }

  /// An operator-signed tombstone for this host: departed, without subnet or connections, at
  /// a version above this record's and at least `wallNanoseconds`, so it supersedes what the
  /// mesh holds. Hosts configured with `key.publicKey` accept it (`meshd release`).
  public func tombstone(signedBy key: OperatorKey, wallNanoseconds: UInt64) -> PeerRecord {
    var record = self
    record.version = Swift.max(version == .max ? version : version + 1, wallNanoseconds)
    record.departed = true
    record.subnet = nil
    record.subnetClaimedAt = 0
    record.connections = []
    record.names = []
    record.authority = .operator(key.publicKey)
    record.signature = key.sign(record.signingBytes)
    return record
  }

  /// Checks the signature: the host's own (XEdDSA with `publicKey`), or, on a tombstone, an
  /// operator's whose key is in `operatorKeys`. Costs one signature verification (about
  /// 100 µs); callers check versions first.
  public func verifySignature(operatorKeys: Set<OperatorPublicKey>) throws(GossipError) {
    switch authority {
    case .owner:
      guard XEdDSA.verify(signature, of: signingBytes, by: publicKey) else {
        throw .badSignature
      }
    case .operator(let key):
      guard departed else { throw .badSignature }
      guard operatorKeys.contains(key) else { throw .unknownOperator }
      guard key.verify(signature, of: signingBytes) else { throw .badSignature }
    }
  }
}
