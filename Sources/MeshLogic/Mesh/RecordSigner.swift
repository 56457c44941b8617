import MeshProtocol
import MeshTypes

/// Signs this host's own records for its `Gossiper`: the host's static private key and the
/// source of XEdDSA's random Z.
///
/// Z comes from a secret seed drawn once from the caller's random source and a counter
/// (BLAKE2b keyed with the seed), so the gossiper needs no random source of its own on every
/// path that republishes, and tests with a seeded source stay repeatable. XEdDSA stays secure
/// even with a predictable Z (it then works like deterministic Ed25519); Z only adds
/// protection against fault and side-channel attacks.
public struct RecordSigner: Sendable {
  /// The host's static key.
  let privateKey: PrivateKey
  /// The public key of `privateKey`: records of other keys are not signed.
  public let publicKey: PublicKey
  /// The secret key of the Z derivation.
  private let seed: SymmetricKey
  /// Signatures made so far: the input of the Z derivation.
  private var counter: UInt64 = 0

  /// A signer for the host with `privateKey`, drawing its Z seed from `random`.
  public init(privateKey: PrivateKey, random: inout some RandomSource) {
    self.privateKey = privateKey
    self.publicKey = privateKey.publicKey
    var seedBytes = random.bytes(SymmetricKey.length)
    defer { Sodium.memzero(&seedBytes) }
    self.seed = try! SymmetricKey(bytes: seedBytes)
  }

  /// `record` (which must describe this host) signed with a fresh Z.
  public mutating func sign(_ record: PeerRecord) -> PeerRecord {
    precondition(record.publicKey == publicKey, "a host signs only its own record")
    var z = nextZ()
    defer { Sodium.memzero(&z) }
    return record.signed(with: privateKey, random: z)
  }

  /// `alert` (which this host must report) signed with a fresh Z.
  public mutating func sign(_ alert: KeyAlert) -> KeyAlert {
    precondition(alert.reporter == publicKey.peerID, "a host signs only its own alerts")
    var z = nextZ()
    defer { Sodium.memzero(&z) }
    var signed = alert
    signed.signature = XEdDSA.sign(alert.signingBytes, with: privateKey, random: z)
    return signed
  }

  /// The next XEdDSA Z: BLAKE2b keyed with the seed over the signature counter.
  private mutating func nextZ() -> [UInt8] {
    counter += 1
    var z = [UInt8](repeating: 0, count: XEdDSA.randomLength)
    seed.withUnsafeBytes { key in
      withUnsafeBytes(of: counter.littleEndian) { data in
        z.withUnsafeMutableBytes { Blake2b.mac(key: key, data: data, into: $0) }
      }
    }
    return z
  }
}
