import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// Two live hosts with one key republish over each other's records; every host that gossips
/// with them sees it and reports the key, not only a host that talks to both clones.
@Suite("Key contests")
struct KeyContestTests {
  let now = MeshInstant(nanoseconds: 1_000_000_000)
  let wall: UInt64 = 5_000_000_000_000

  /// Hands `records` to `receiver` as gossip from `from`; returns the events raised.
  func deliver(
    _ records: [PeerRecord], to receiver: inout Gossiper, from: PeerID, at now: MeshInstant
  ) -> [GossipEvent] {
    for bytes in GossipMessage.pack(records) {
      _ = receiver.received(bytes: bytes, from: from, now: now, wall: wall)
    }
    return receiver.takeEvents()
  }

  func record(_ key: PrivateKey, version: UInt64, nickname: String) -> PeerRecord {
    MeshFixtures.signedRecord(key, version: version, nickname: nickname)
  }

  @Test func aRepublishIsAVersionJustAboveWithOtherContent() {
    var random = SeededRandom(seed: 1)
    let key = MeshFixtures.privateKeys(1, &random)[0]
    let held = record(key, version: 1_000, nickname: "a")
    #expect(KeyContests.isRepublish(record(key, version: 1_001, nickname: "b"), over: held))
    #expect(!KeyContests.isRepublish(record(key, version: 1_001, nickname: "a"), over: held))
    #expect(!KeyContests.isRepublish(record(key, version: 9_000_000, nickname: "b"), over: held))
    #expect(!KeyContests.isRepublish(record(key, version: 999, nickname: "b"), over: held))
  }

  @Test func anObserverReportsAKeyWhoseRecordsKeepReplacingEachOther() throws {
    var random = SeededRandom(seed: 2)
    let keys = MeshFixtures.privateKeys(3, &random)
    var observer = try MeshFixtures.gossiper(
      keys[0], MeshFixtures.record(keys[0].publicKey, version: 10))
    let relay = keys[2].publicKey.peerID
    let clone = keys[1].publicKey.peerID
    _ = deliver(
      [record(keys[1], version: 1_000, nickname: "a")], to: &observer, from: relay, at: now)
    // One republish is normal (a restarted host whose clock went back): no report.
    var events = deliver(
      [record(keys[1], version: 1_001, nickname: "b")], to: &observer, from: relay, at: now)
    #expect(!events.contains(.keyContested(clone)))
    #expect(observer.contests.contested(now: now).isEmpty)
    events = deliver(
      [record(keys[1], version: 1_002, nickname: "a")], to: &observer, from: relay,
      at: now.adding(seconds: 1))
    #expect(events.contains(.keyContested(clone)))
    #expect(observer.contests.contested(now: now.adding(seconds: 1)) == [clone])
    #expect(observer.stats.contestedRecords == 2)
    // The report is rate-limited, and the mark fades once the contest stops.
    events = deliver(
      [record(keys[1], version: 1_003, nickname: "b")], to: &observer, from: relay,
      at: now.adding(seconds: 2))
    #expect(!events.contains(.keyContested(clone)))
    #expect(observer.contests.contested(now: now.adding(seconds: 2 + KeyContests.window)).isEmpty)
  }

  @Test func aHostThatChangesItsRecordNormallyIsNeverContested() throws {
    var random = SeededRandom(seed: 3)
    let keys = MeshFixtures.privateKeys(3, &random)
    var observer = try MeshFixtures.gossiper(
      keys[0], MeshFixtures.record(keys[0].publicKey, version: 10))
    let relay = keys[2].publicKey.peerID
    for step in 0..<10 {
      let events = deliver(
        [record(keys[1], version: 1_000_000 + UInt64(step) * 50_000_000, nickname: "n\(step)")],
        to: &observer, from: relay, at: now.adding(seconds: Double(step)))
      #expect(!events.contains { if case .keyContested = $0 { true } else { false } })
    }
    #expect(observer.stats.contestedRecords == 0)
  }

  @Test func twoClonesEachReportTheirOwnKey() throws {
    var random = SeededRandom(seed: 4)
    let keys = MeshFixtures.privateKeys(2, &random)
    let id = keys[0].publicKey.peerID
    let relay = keys[1].publicKey.peerID
    var first = try MeshFixtures.gossiper(
      keys[0], MeshFixtures.record(keys[0].publicKey, version: 100, nickname: "first"))
    var second = try MeshFixtures.gossiper(
      keys[0], MeshFixtures.record(keys[0].publicKey, version: 200, nickname: "second"))
    var reported: Set<String> = []
    var at = now
    // Each republishes above the other's record when it sees it: the contest goes on.
    for _ in 0..<3 {
      at = at.adding(seconds: 1)
      if deliver([second.local], to: &first, from: relay, at: at).contains(.keyContested(id)) {
        reported.insert("first")
      }
      #expect(first.local.nickname == "first")
      #expect(first.local.version > second.local.version)
      if deliver([first.local], to: &second, from: relay, at: at).contains(.keyContested(id)) {
        reported.insert("second")
      }
    }
    #expect(reported == ["first", "second"])
    #expect(first.contests.contested(now: at) == [id])
  }

  @Test func reportsAreRateLimitedPerKey() {
    var contests = KeyContests()
    let peer = PeerID(rawValue: 7)
    var due: [Bool] = []
    for seconds in [0, 1, 2, 2 + KeyContests.reportInterval] {
      due.append(contests.note(peer, now: now.adding(seconds: seconds)))
    }
    #expect(due == [false, true, false, true])
  }
}
