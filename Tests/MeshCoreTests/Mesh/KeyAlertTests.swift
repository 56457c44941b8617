import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// The member that sees two live hosts behind one key floods a signed alert, so every member
/// reports the duplicate; alerts that are forged, stale or from strangers are dropped.
@Suite("Key alerts")
struct KeyAlertTests {
  let now = MeshInstant(nanoseconds: 1_000_000_000)
  let wall: UInt64 = 5_000_000_000_000
  let kept = Endpoint("192.0.2.2:6786")!
  let refused = Endpoint("[2001:db8::3]:6786")!

  /// Hosts 0 (reporter), 1 (subject), 2 (receiver), 3 (the receiver's other neighbour): the
  /// receiver knows every record.
  struct Fixture {
    var keys: [PrivateKey]
    var reporter: Gossiper
    var receiver: Gossiper

    init(now: MeshInstant, wall: UInt64) throws {
      var random = SeededRandom(seed: 77)
      keys = MeshFixtures.privateKeys(4, &random)
      reporter = try MeshFixtures.gossiper(
        keys[0], MeshFixtures.record(keys[0].publicKey, version: 10))
      receiver = try MeshFixtures.gossiper(
        keys[2], MeshFixtures.record(keys[2].publicKey, version: 10))
      let records = (0..<4).map { MeshFixtures.signedRecord(keys[$0], version: 100) }
      for bytes in GossipMessage.pack(records) {
        _ = receiver.received(bytes: bytes, from: id(3), now: now, wall: wall)
      }
      _ = receiver.takeEvents()
      _ = reporter.tick(now: now, neighbors: [id(1), id(2)].sorted(), random: &random)
      _ = receiver.tick(now: now, neighbors: [id(0), id(3)].sorted(), random: &random)
    }

    func id(_ host: Int) -> PeerID { keys[host].publicKey.peerID }
  }

  @Test func anAlertRoundTripsThroughTheCodec() throws {
    var f = try Fixture(now: now, wall: wall)
    let out = f.reporter.alert(
      subject: f.id(1), kept: kept, refused: refused, now: now, wall: wall)
    #expect(Set(out.map(\.to)) == [f.id(1), f.id(2)])
    let bytes = try #require(out.first?.bytes)
    #expect(bytes.count <= 1 + KeyAlert.maxEncodedLength)
    guard case .keyAlert(let alert) = try GossipMessage.decode(bytes) else {
      Issue.record("not an alert")
      return
    }
    #expect(alert.reporter == f.id(0) && alert.subject == f.id(1))
    #expect(alert.kept == kept && alert.refused == refused && alert.issued == wall)
    #expect(alert.verify(by: f.keys[0].publicKey))
    #expect(!alert.verify(by: f.keys[3].publicKey))
    for cut in [1, bytes.count / 2, bytes.count - 1] {
      #expect(throws: WireError.self) { try GossipMessage.decode(Array(bytes.prefix(cut))) }
    }
  }

  @Test func aReceivedAlertIsReportedOnceAndFloodedOn() throws {
    var f = try Fixture(now: now, wall: wall)
    let bytes = f.reporter.alert(
      subject: f.id(1), kept: kept, refused: refused, now: now, wall: wall)[0].bytes
    let forwarded = f.receiver.received(bytes: bytes, from: f.id(0), now: now, wall: wall)
    #expect(forwarded.map(\.to) == [f.id(3)])
    #expect(f.receiver.takeEvents() == [.keyContested(f.id(1))])
    #expect(f.receiver.contests.contested(now: now) == [f.id(1)])
    // The same alert again (flooded back by another neighbour) is neither reported nor sent.
    #expect(f.receiver.received(bytes: bytes, from: f.id(3), now: now, wall: wall).isEmpty)
    #expect(f.receiver.takeEvents().isEmpty)
  }

  @Test func theSubjectReportsItsOwnKey() throws {
    var f = try Fixture(now: now, wall: wall)
    let bytes = f.reporter.alert(
      subject: f.id(2), kept: kept, refused: refused, now: now, wall: wall)[0].bytes
    _ = f.receiver.received(bytes: bytes, from: f.id(0), now: now, wall: wall)
    #expect(f.receiver.takeEvents() == [.keyContested(f.id(2))])
  }

  @Test func forgedStaleAndUnknownAlertsAreDropped() throws {
    var f = try Fixture(now: now, wall: wall)
    // Host 3 signs an alert in host 0's name.
    var forged = KeyAlert(
      reporter: f.id(0), subject: f.id(1), issued: wall, kept: kept, refused: refused)
    forged.signature = XEdDSA.sign(
      forged.signingBytes, with: f.keys[3], random: [UInt8](repeating: 1, count: 64))
    let stale = f.reporter.alert(
      subject: f.id(1), kept: kept, refused: refused, now: now,
      wall: wall - UInt64(KeyContests.window * 1e9) - 1)[0].bytes
    var random = SeededRandom(seed: 9)
    let stranger = MeshFixtures.privateKeys(1, &random)[0]
    var signer = RecordSigner(privateKey: stranger, random: &random)
    let unknown = signer.sign(
      KeyAlert(
        reporter: stranger.publicKey.peerID, subject: f.id(1), issued: wall, kept: kept,
        refused: refused))
    for bytes in [
      try GossipMessage.keyAlert(forged).encode(), stale,
      try GossipMessage.keyAlert(unknown).encode(),
    ] {
      #expect(f.receiver.received(bytes: bytes, from: f.id(0), now: now, wall: wall).isEmpty)
    }
    #expect(f.receiver.takeEvents().isEmpty)
    #expect(f.receiver.contests.contested(now: now).isEmpty)
    #expect(f.receiver.stats.badSignatures == 1)
    #expect(f.receiver.stats.staleAlerts == 1)
    #expect(f.receiver.stats.unknownAlerts == 1)
  }
}
