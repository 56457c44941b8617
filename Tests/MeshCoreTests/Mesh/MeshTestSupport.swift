@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

extension SeededRandom {
  /// A value in `0..<bound`.
  mutating func below(_ bound: Int) -> Int { Int(next64() % UInt64(bound)) }
  /// True with probability `p`.
  mutating func chance(_ p: Double) -> Bool { Double(next64() % 1_000_000) < p * 1_000_000 }
  /// A random order of `items`.
  mutating func shuffled<T>(_ items: [T]) -> [T] {
    var out = items
    for index in stride(from: out.count - 1, to: 0, by: -1) {
      out.swapAt(index, below(index + 1))
    }
    return out
  }
}

/// Builders of random, valid records and topologies for the property tests.
enum MeshFixtures {
  /// A public key made of random bytes (any 32 bytes are a key for record purposes).
  static func key(_ random: inout SeededRandom) -> PublicKey {
    PublicKey(bytes: random.bytes(32))!
  }

  /// `count` distinct keys.
  static func keys(_ count: Int, _ random: inout SeededRandom) -> [PublicKey] {
    (0..<count).map { _ in key(&random) }
  }

  /// `count` real X25519 key pairs, for records that must carry a valid signature.
  static func privateKeys(_ count: Int, _ random: inout SeededRandom) -> [PrivateKey] {
    (0..<count).map { _ in PrivateKey.generate(using: &random) }
  }

  /// `record` signed by its host, whose private key is `key`.
  static func signed(_ record: PeerRecord, by key: PrivateKey) -> PeerRecord {
    var random = SeededRandom(seed: record.version ^ record.id.rawValue)
    return record.signed(with: key, random: random.bytes(XEdDSA.randomLength))
  }

  /// A record for `key`'s host, signed by it.
  static func signedRecord(
    _ key: PrivateKey, version: UInt64, connections: [PeerID] = [], nickname: String = "h"
  ) -> PeerRecord {
    signed(
      record(key.publicKey, version: version, connections: connections, nickname: nickname),
      by: key)
  }

  /// A gossiper for `key`'s host publishing `record`, with a signer seeded from the key.
  static func gossiper(
    _ key: PrivateKey, _ record: PeerRecord,
    configuration: Gossiper.Configuration = Gossiper.Configuration()
  ) throws -> Gossiper {
    var random = SeededRandom(seed: record.id.rawValue)
    let signer = RecordSigner(privateKey: key, random: &random)
    return try Gossiper(local: record, signer: signer, configuration: configuration)
  }

  /// A record for `key` with the given connections and version.
  static func record(
    _ key: PublicKey, version: UInt64, connections: [PeerID] = [], nickname: String = "h"
  ) -> PeerRecord {
    PeerRecord(
      publicKey: key, nickname: nickname, endpoints: [Endpoint("192.0.2.1:6786")!],
      version: version, connections: connections.filter { $0 != key.peerID })
  }

  /// A random graph of `keys`: some hosts split into a second component, each ordered pair
  /// listed with probability `density`, and some listings one-sided (asymmetric).
  static func graph(
    _ keys: [PublicKey], density: Double, _ random: inout SeededRandom
  ) -> [PeerRecord] {
    let ids = keys.map(\.peerID)
    let split = random.chance(0.3) ? random.below(ids.count) : ids.count
    var lists = [[PeerID]](repeating: [], count: ids.count)
    for a in ids.indices {
      for b in ids.indices where a < b && (a < split) == (b < split) {
        guard random.chance(density) else { continue }
        let roll = random.below(100)  // 70 %: both sides list the edge; 30 %: one side only
        if roll < 85 { lists[a].append(ids[b]) }
        if roll < 70 || roll >= 85 { lists[b].append(ids[a]) }
      }
    }
    return keys.indices.map {
      record(keys[$0], version: 1 + UInt64(random.below(3)), connections: lists[$0])
    }
  }

  /// The join of two topologies.
  static func union(_ a: Topology, _ b: Topology) -> Topology {
    var out = a
    for record in b.records.values { out.merge(record) }
    return out
  }
}
