import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// Records are signed by the host they describe, or (tombstones only) by a configured
/// operator; a member gone bad cannot speak for another host, replay an old record over a
/// newer one, or push a version far into the future.
@Suite("Record signatures")
struct RecordSignatureTests {
  /// A receiving gossiper (host 0) that knows host 1's record at version `heldVersion`.
  struct Fixture {
    var keys: [PrivateKey]
    var receiver: Gossiper
    let now = MeshInstant(nanoseconds: 1_000_000_000)
    /// The receiver's wall clock: versions are compared to it.
    let wall: UInt64 = 5_000_000_000_000

    init(operatorKeys: Set<OperatorPublicKey> = [], heldVersion: UInt64 = 1_000) {
      var random = SeededRandom(seed: 4242)
      keys = MeshFixtures.privateKeys(4, &random)
      receiver = try! MeshFixtures.gossiper(
        keys[0], MeshFixtures.record(keys[0].publicKey, version: 10),
        configuration: Gossiper.Configuration(operatorKeys: operatorKeys))
      deliver(hostRecord(1, version: heldVersion))
      precondition(receiver.topology[id(1)]?.version == heldVersion)
    }

    func id(_ host: Int) -> PeerID { keys[host].publicKey.peerID }

    /// Host `host`'s record, signed by it, with a subnet claim and a connection.
    func hostRecord(_ host: Int, version: UInt64, nickname: String = "h") -> PeerRecord {
      var record = MeshFixtures.record(
        keys[host].publicKey, version: version, connections: [id(0), id(3)], nickname: nickname)
      record.subnet = IPv4Network("10.47.\(host).0/24")
      record.subnetClaimedAt = 77
      return MeshFixtures.signed(record, by: keys[host])
    }

    /// Delivers `records` to the receiver as gossip from host 2 (through the codec).
    mutating func deliver(_ records: PeerRecord..., wall: UInt64? = nil) {
      for bytes in GossipMessage.pack(records) {
        _ = receiver.received(bytes: bytes, from: id(2), now: now, wall: wall ?? self.wall)
      }
    }
  }

  @Test func aForgedTombstoneOfAnotherHostIsRefused() {
    var f = Fixture()
    let held = f.receiver.topology[f.id(1)]!
    // Host 2 (a member gone bad) tombstones host 1 at the largest version, signing with its own
    // key, then without any signature.
    var forged = held
    forged.version = f.wall
    forged.departed = true
    forged.connections = []
    forged.subnet = nil
    forged.subnetClaimedAt = 0
    let byMember = forged.signed(with: f.keys[2], random: [UInt8](repeating: 1, count: 64))
    var unsigned = forged
    unsigned.signature = [UInt8](repeating: 0, count: PeerRecord.signatureLength)
    f.deliver(byMember, unsigned)
    #expect(f.receiver.topology[f.id(1)] == held)
    #expect(f.receiver.stats.badSignatures == 2)
    #expect(f.receiver.takeEvents().allSatisfy { $0 != .departed(f.id(1)) })
    // The old attack: version 2^64 - 1 is refused before any signature check.
    var maximal = byMember
    maximal.version = .max
    f.deliver(maximal)
    #expect(f.receiver.topology[f.id(1)] == held)
    #expect(f.receiver.stats.futureVersions == 1)
  }

  @Test func aGenuineButOlderRecordDoesNotReplaceTheNewer() {
    var f = Fixture(heldVersion: 1_000)
    let held = f.receiver.topology[f.id(1)]!
    f.deliver(f.hostRecord(1, version: 999, nickname: "older"))
    #expect(f.receiver.topology[f.id(1)] == held)
    #expect(f.receiver.stats.staleSegments == 1)
    #expect(f.receiver.stats.signaturesVerified == 1)  // the fixture's own delivery only
  }

  @Test func aReplayedRecordIsIgnoredWithoutAnotherCheck() {
    var f = Fixture(heldVersion: 1_000)
    let old = f.receiver.topology[f.id(1)]!
    let new = f.hostRecord(1, version: 2_000, nickname: "new")
    f.deliver(new)
    #expect(f.receiver.topology[f.id(1)] == new)
    let verified = f.receiver.stats.signaturesVerified
    f.deliver(old)
    f.deliver(new)
    #expect(f.receiver.topology[f.id(1)] == new)
    #expect(f.receiver.stats.signaturesVerified == verified)
    #expect(f.receiver.stats.staleSegments == 2)
  }

  @Test func aBadRecordIsCheckedOnlyOnce() {
    var f = Fixture()
    var tampered = f.hostRecord(1, version: 3_000)
    tampered.nickname = "evil"
    for _ in 0..<5 { f.deliver(tampered) }
    #expect(f.receiver.stats.signaturesVerified == 2)  // the fixture's record, then this one
    #expect(f.receiver.stats.badSignatures == 1)
    #expect(f.receiver.topology[f.id(1)]?.version == 1_000)
    // The genuine record of that version is not refused from the cache of the tampered one.
    let genuine = f.hostRecord(1, version: 3_000)
    f.deliver(genuine)
    #expect(f.receiver.topology[f.id(1)] == genuine)
  }

  @Test func everyTamperedFieldFailsVerification() throws {
    let f = Fixture()
    let record = f.hostRecord(1, version: 3_000)
    try record.verifySignature(operatorKeys: [])
    var tampers: [(String, (inout PeerRecord) -> Void)] = [
      ("connections", { $0.connections = [f.id(0)] }),
      ("added connection", { $0.connections = PeerRecord.normalized($0.connections + [f.id(2)]) }),
      ("subnet", { $0.subnet = IPv4Network("10.47.200.0/24") }),
      ("claim time", { $0.subnetClaimedAt = 1 }),
      ("endpoints", { $0.endpoints = [Endpoint("203.0.113.9:6786")!] }),
      ("version", { $0.version += 1 }),
      ("departed", { $0.departed = true }),
      ("nickname", { $0.nickname = "x" }),
    ]
    tampers.append(("signature", { $0.signature[5] ^= 0x20 }))
    var receiver = f
    for (name, tamper) in tampers {
      var copy = record
      tamper(&copy)
      #expect(throws: GossipError.badSignature, "\(name)") {
        try copy.verifySignature(operatorKeys: [])
      }
      receiver.deliver(copy)
      #expect(receiver.receiver.topology[f.id(1)]?.version == 1_000, "\(name)")
    }
    #expect(receiver.receiver.stats.badSignatures == tampers.count)
  }

  @Test func aLargeRecordSplitIntoSegmentsVerifiesOnceWhole() {
    var f = Fixture()
    var random = SeededRandom(seed: 5)
    var record = MeshFixtures.record(
      f.keys[3].publicKey, version: 50,
      connections: (0..<1_500).map { _ in PeerID(rawValue: random.next64()) })
    record = MeshFixtures.signed(record, by: f.keys[3])
    let messages = GossipMessage.pack([record])
    #expect(messages.count > 1)
    // One connection of it changed in the last segment (the lowest bit of the last ID, which
    // keeps the order): the record reassembles but never gets in.
    var tampered = messages
    tampered[tampered.count - 1][tampered[tampered.count - 1].count - 8] ^= 1
    for bytes in tampered {
      _ = f.receiver.received(bytes: bytes, from: f.id(2), now: f.now, wall: f.wall)
    }
    #expect(f.receiver.topology[f.id(3)] == nil)
    #expect(f.receiver.stats.badSignatures == 1)
    for bytes in messages {
      _ = f.receiver.received(bytes: bytes, from: f.id(2), now: f.now, wall: f.wall)
    }
    #expect(f.receiver.topology[f.id(3)] == record)
  }

  @Test func aVersionFarInTheFutureIsRefused() {
    var f = Fixture()
    let tooFar = f.hostRecord(1, version: f.wall + MeshLimits.maxFutureSkew + 1)
    f.deliver(tooFar)
    #expect(f.receiver.topology[f.id(1)]?.version == 1_000)
    #expect(f.receiver.stats.futureVersions == 1)
    #expect(f.receiver.stats.signaturesVerified == 1)  // refused before the check
    // Once the wall clock catches up, the same record is fine.
    f.deliver(tooFar, wall: f.wall + 2 * MeshLimits.maxFutureSkew)
    #expect(f.receiver.topology[f.id(1)] == tooFar)
    // Just inside the bound is accepted.
    let near = f.hostRecord(3, version: f.wall + MeshLimits.maxFutureSkew)
    f.deliver(near)
    #expect(f.receiver.topology[f.id(3)] == near)
  }

  @Test func anOperatorTombstoneNeedsTheOperatorKeyConfigured() throws {
    var random = SeededRandom(seed: 99)
    let operatorKey = OperatorKey.generate(using: &random)
    let otherOperator = OperatorKey.generate(using: &random)
    let base = Fixture()
    let held = base.receiver.topology[base.id(1)]!
    let tombstone = held.tombstone(signedBy: operatorKey, wallNanoseconds: base.wall)
    #expect(tombstone.departed && tombstone.version == base.wall)
    #expect(tombstone.subnet == nil && tombstone.connections.isEmpty)

    var without = Fixture()
    without.deliver(tombstone)
    #expect(without.receiver.topology[base.id(1)] == held)
    #expect(without.receiver.stats.unknownOperators == 1)

    var wrong = Fixture(operatorKeys: [otherOperator.publicKey])
    wrong.deliver(tombstone)
    #expect(wrong.receiver.topology[base.id(1)] == held)

    var with = Fixture(operatorKeys: [operatorKey.publicKey])
    with.deliver(tombstone)
    #expect(with.receiver.topology[base.id(1)] == tombstone)
    #expect(with.receiver.takeEvents().contains(.departed(base.id(1))))

    // An operator signs tombstones only: a live record it signed is refused, and the codec
    // refuses the flag without the departed bit.
    var live = held
    live.version += 5
    live.authority = .operator(operatorKey.publicKey)
    live.signature = operatorKey.sign(live.signingBytes)
    #expect(throws: GossipError.badSignature) {
      try live.verifySignature(operatorKeys: [operatorKey.publicKey])
    }
    var bytes: [UInt8] = []
    RecordSegment.encode(live, connections: live.connections[...], offset: 0, into: &bytes)
    var reader = ByteReader(bytes)
    #expect(throws: WireError.malformed) { try RecordSegment.decode(&reader) }
    // A tampered operator tombstone fails too.
    var tampered = tombstone
    tampered.version += 1
    #expect(throws: GossipError.badSignature) {
      try tampered.verifySignature(operatorKeys: [operatorKey.publicKey])
    }
  }

  @Test func aHostMayPublishItsOwnTombstone() {
    var f = Fixture()
    var leaving = f.receiver.topology[f.id(1)]!
    leaving.version += 1
    leaving.departed = true
    leaving.connections = []
    leaving = MeshFixtures.signed(leaving, by: f.keys[1])
    f.deliver(leaving)
    #expect(f.receiver.topology[f.id(1)] == leaving)
    #expect(f.receiver.takeEvents().contains(.departed(f.id(1))))
  }

  @Test func aDepartingHostSpreadsItsOwnSignedTombstone() throws {
    var f = Fixture()
    var random = SeededRandom(seed: 31)
    var leaving = try MeshFixtures.gossiper(f.keys[1], f.receiver.topology[f.id(1)]!)
    leaving.depart(now: f.now)
    #expect(leaving.local.departed && leaving.local.version == 1_001)
    let out = leaving.tick(now: f.now.adding(seconds: 2), neighbors: [f.id(0)], random: &random)
    #expect(!out.isEmpty)
    for message in out where message.to == f.id(0) {
      _ = f.receiver.received(bytes: message.bytes, from: f.id(1), now: f.now, wall: f.wall)
    }
    #expect(f.receiver.topology[f.id(1)] == leaving.local)
    #expect(f.receiver.takeEvents().contains(.departed(f.id(1))))
  }

  @Test func aForgedRecordOfOurOwnIDIsDroppedNotOutbid() {
    var f = Fixture()
    let local = f.receiver.local
    var forged = local
    forged.version += 100
    forged.endpoints = []
    forged = forged.signed(with: f.keys[2], random: [UInt8](repeating: 3, count: 64))
    f.deliver(forged)
    #expect(f.receiver.local == local)
    #expect(f.receiver.stats.badSignatures == 1)
  }

  @Test func theLocalRecordIsSignedOnEveryChange() throws {
    var f = Fixture()
    try f.receiver.local.verifySignature(operatorKeys: [])
    var record = f.receiver.local
    record.endpoints = [Endpoint("198.51.100.4:6786")!]
    try f.receiver.setLocal(record, now: f.now)
    #expect(f.receiver.local.endpoints == record.endpoints)
    try f.receiver.local.verifySignature(operatorKeys: [])
    #expect(f.receiver.topology[f.id(0)] == f.receiver.local)
  }

  @Test func theSegmentCarriesTheSignerAndSignature() throws {
    let f = Fixture()
    let record = f.hostRecord(1, version: 3_000)
    var bytes: [UInt8] = []
    RecordSegment.encode(record, connections: record.connections[...], offset: 0, into: &bytes)
    let header = RecordSegment.headerSize(record)
    #expect(bytes.count == header + 8 * record.connections.count)
    let signatureAt = header - RecordSegment.sliceHeader - PeerRecord.signatureLength
    #expect(Array(bytes[signatureAt..<(signatureAt + 64)]) == record.signature)
    #expect(bytes[48] == RecordSegment.flagSubnet)  // after id (8), key (32), version (8)
    var reader = ByteReader(bytes)
    #expect(try RecordSegment.decode(&reader).record == record)
    #expect(
      record.signingBytes.starts(with: Array("meshd record v1".utf8))
        && !record.signingBytes.contains(record.signature[0...7]))
  }
}
