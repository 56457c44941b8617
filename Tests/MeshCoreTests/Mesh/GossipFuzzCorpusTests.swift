import Foundation
import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// The seed corpus of `Fuzz/FuzzGossip`: gossip traffic whose records carry valid signatures
/// by the harness's fixed keys (host `i` has the key of 32 bytes `i + 1`, the operator the
/// seed of 32 bytes 0xF0), plus a few attacks the harness must refuse.
///
/// The test feeds each seed to a gossiper set up as the harness's and checks what it
/// accepted. With `MESHD_WRITE_FUZZ_CORPUS=DIR` it also writes the seeds to DIR (regenerate
/// with `MESHD_WRITE_FUZZ_CORPUS=Fuzz/FuzzGossip/corpus swift test --filter GossipFuzzCorpus`).
@Suite struct GossipFuzzCorpusTests {
  static func host(_ index: Int) -> PrivateKey {
    try! PrivateKey(bytes: [UInt8](repeating: UInt8(index + 1), count: 32))
  }
  static let operatorKey = try! OperatorKey(seed: [UInt8](repeating: 0xF0, count: 32))
  static let wall: UInt64 = 1_000_000_000_000
  static func id(_ index: Int) -> PeerID { host(index).publicKey.peerID }

  /// The harness's gossiper.
  static func fixture() -> Gossiper {
    var random = SeededRandom(seed: 1)
    let local = PeerRecord(
      publicKey: host(0).publicKey, nickname: "fuzz", endpoints: [Endpoint("192.0.2.1:6786")!],
      version: 10, connections: (1..<4).map(id))
    var gossiper = try! Gossiper(
      local: local, signer: RecordSigner(privateKey: host(0), random: &random),
      configuration: Gossiper.Configuration(operatorKeys: [operatorKey.publicKey]))
    for index in 1..<4 {
      let record = PeerRecord(
        publicKey: host(index).publicKey, nickname: "p", version: 5, connections: [id(0)])
      for bytes in GossipMessage.pack([MeshFixtures.signed(record, by: host(index))]) {
        _ = gossiper.received(
          bytes: bytes, from: id(1), now: MeshInstant(nanoseconds: 1), wall: wall)
      }
    }
    return gossiper
  }

  /// Pieces in the harness's framing: length (11 bits) and sender (top 5 bits) per piece.
  static func frame(_ pieces: [[UInt8]], from sender: Int = 0) -> [UInt8] {
    var out: [UInt8] = []
    for piece in pieces {
      precondition(piece.count < 2048)
      out.append(UInt8(piece.count & 0xFF))
      out.append(UInt8(piece.count >> 8) | UInt8(sender << 3))
      out += piece
    }
    return out
  }

  /// Host `index`'s record at `version`, signed by it.
  static func record(
    _ index: Int, version: UInt64, connections: [PeerID] = [], departed: Bool = false
  ) -> PeerRecord {
    var record = PeerRecord(
      publicKey: host(index).publicKey, nickname: "host\(index)",
      endpoints: [Endpoint("198.51.100.\(index):6786")!], version: version,
      connections: connections, subnet: departed ? nil : IPv4Network("10.9.\(index).0/24"),
      departed: departed)
    record.subnetClaimedAt = departed ? 0 : 42
    return MeshFixtures.signed(record, by: host(index))
  }

  /// Named seeds, each with whether every record in it should be accepted.
  static func seeds() -> [(name: String, valid: Bool, bytes: [UInt8])] {
    var random = SeededRandom(seed: 7)
    let held = fixture().topology
    var seeds: [(String, Bool, [UInt8])] = []
    let updates = (1..<4).map { record($0, version: 6, connections: [id(0)]) }
    seeds.append(("records-update", true, frame(GossipMessage.pack(updates))))
    seeds.append(("record-new-host", true, frame(GossipMessage.pack([record(4, version: 3)]))))
    var named = record(6, version: 4)
    named.names = [
      NameEntry(name: "api", kind: .service, address: 0x0A09_0602, ports: [80, 8080], host: id(6)),
      NameEntry(name: "gw.host6", kind: .manual, address: 0x0A09_0601, host: id(6)),
      NameEntry(name: "web-1", kind: .container, address: 0x0A09_0602, ports: [80], host: id(6)),
    ]
    seeds.append(
      (
        "record-with-names", true,
        frame(GossipMessage.pack([MeshFixtures.signed(named, by: host(6))]))
      ))
    let wide = record(
      5, version: 9, connections: (0..<600).map { _ in PeerID(rawValue: random.next64()) })
    seeds.append(("record-segmented", true, frame(GossipMessage.pack([wide]), from: 1)))
    let tombstone = held[id(2)]!.tombstone(signedBy: operatorKey, wallNanoseconds: wall)
    seeds.append(("operator-tombstone", true, frame(GossipMessage.pack([tombstone]))))
    seeds.append(
      ("own-tombstone", true, frame(GossipMessage.pack([record(3, version: 7, departed: true)]))))
    seeds.append(("older-incarnation", true, frame(GossipMessage.pack([record(0, version: 50)]))))
    var forged = record(2, version: 8, departed: true)
    forged = forged.signed(with: host(3), random: random.bytes(64))
    seeds.append(("forged-tombstone", false, frame(GossipMessage.pack([forged]))))
    let future = record(1, version: wall + 2 * MeshLimits.maxFutureSkew)
    seeds.append(("future-version", false, frame(GossipMessage.pack([future]))))
    let summary = try! GossipMessage.summary(held.summary(mode: .versions)).encode()
    let request = try! GossipMessage.request([id(1), id(2)]).encode()
    let chunk = DigestChunk(
      mode: .versions, lower: PeerID(rawValue: 0), upper: PeerID(rawValue: .max),
      entries: [DigestEntry(id: id(1), version: 9), DigestEntry(id: id(6), version: 1)])
    let digest = try! GossipMessage.digest(chunk).encode()
    seeds.append(("anti-entropy", true, frame([summary, request, digest], from: 2)))
    return seeds
  }

  @Test func seedsAreAcceptedAsTheyShouldAndOptionallyWritten() throws {
    let seeds = Self.seeds()
    for (name, valid, bytes) in seeds {
      var gossiper = Self.fixture()
      var offset = 0
      var clock = MeshInstant(nanoseconds: 1_000_000_000)
      while offset + 2 <= bytes.count {
        let length = Int(bytes[offset]) | Int(bytes[offset + 1] & 0x07) << 8
        let piece = Array(bytes[(offset + 2)..<(offset + 2 + length)])
        offset += 2 + length
        clock = clock.adding(seconds: 1)
        _ = gossiper.received(bytes: piece, from: Self.id(1), now: clock, wall: Self.wall)
      }
      #expect(offset == bytes.count, "\(name)")
      let stats = gossiper.stats
      #expect(stats.decodeErrors == 0, "\(name)")
      let refused = stats.badSignatures + stats.unknownOperators + stats.futureVersions
      #expect(valid ? refused == 0 : refused > 0, "\(name)")
      if valid && name.hasPrefix("record") { #expect(stats.recordsMerged > 0, "\(name)") }
    }
    guard let dir = ProcessInfo.processInfo.environment["MESHD_WRITE_FUZZ_CORPUS"] else { return }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, _, bytes) in seeds {
      try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent("seed-" + name))
    }
  }
}
