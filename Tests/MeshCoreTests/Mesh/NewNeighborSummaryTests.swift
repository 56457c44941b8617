import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// The summary exchange with a new neighbour: the lower ID starts it at once; the higher ID
/// starts it itself only when no summary came within `newNeighborWait` (a host that restarted
/// within the neighbour's dead-peer timeout is new only to itself).
@Suite("Gossip with a new neighbour")
struct NewNeighborSummaryTests {
  /// Two gossipers, `low` with the lower ID; `low` also holds a third host's record, which
  /// `high` lacks (a restarted host holds only its own).
  struct Pair {
    var low: Gossiper
    var high: Gossiper
    let third: PeerID
    var now = MeshInstant(nanoseconds: 1_000_000_000)
    var random = SeededRandom(seed: 5)

    init() throws {
      var random = SeededRandom(seed: 1_234)
      let keys = MeshFixtures.privateKeys(3, &random)
      let sorted = keys.sorted { $0.publicKey.peerID < $1.publicKey.peerID }
      let (lowKey, highKey) = (sorted[0], sorted[2])
      low = try MeshFixtures.gossiper(
        lowKey, MeshFixtures.record(lowKey.publicKey, version: 1))
      high = try MeshFixtures.gossiper(
        highKey, MeshFixtures.record(highKey.publicKey, version: 1))
      let thirdRecord = MeshFixtures.signedRecord(sorted[1], version: 1)
      third = thirdRecord.id
      for bytes in GossipMessage.pack([thirdRecord]) {
        _ = low.received(bytes: bytes, from: third, now: now, wall: now.nanoseconds)
      }
    }

    /// Decoded messages of `out` to `to`.
    static func messages(_ out: [Gossiper.Outgoing], to: PeerID) -> [GossipMessage] {
      out.filter { $0.to == to }.compactMap { try? GossipMessage.decode($0.bytes) }
    }

    /// Whether `out` holds a summary for `to`, of `mode` when given.
    static func hasSummary(_ out: [Gossiper.Outgoing], to: PeerID, mode: DigestMode? = nil)
      -> Bool
    {
      messages(out, to: to).contains {
        if case .summary(let s) = $0 { mode.map { s.mode == $0 } ?? true } else { false }
      }
    }

    /// Delivers `out` back and forth between the two until nothing is left to send.
    mutating func exchange(_ first: [Gossiper.Outgoing], from: PeerID) {
      var queue = first.map { (to: $0.to, from: from, bytes: $0.bytes) }
      for _ in 0..<20 where !queue.isEmpty {
        let batch = queue
        queue = []
        for message in batch {
          let replies =
            message.to == low.id
            ? low.received(bytes: message.bytes, from: message.from, now: now, wall: wall)
            : high.received(bytes: message.bytes, from: message.from, now: now, wall: wall)
          queue += replies.map { ($0.to, message.to, $0.bytes) }
        }
      }
    }

    var wall: UInt64 { now.nanoseconds }
  }

  @Test func theHigherIDStartsTheExchangeWhenTheLowerSendsNothing() throws {
    var p = try Pair()
    // Only `high` sees a new neighbour: `low` kept its session through `high`'s restart.
    _ = p.low.tick(now: p.now, neighbors: [p.high.id], random: &p.random)
    p.now = p.now.adding(seconds: 0.1)
    _ = p.low.tick(now: p.now, neighbors: [p.high.id], random: &p.random)
    var out = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
    #expect(!Pair.hasSummary(out, to: p.low.id))
    p.now = p.now.adding(seconds: 1.5)
    out = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
    #expect(!Pair.hasSummary(out, to: p.low.id))
    #expect(p.high.topology[p.third] == nil)

    p.now = p.now.adding(seconds: 0.6)
    out = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
    #expect(Pair.hasSummary(out, to: p.low.id, mode: .versions))
    #expect(p.high.stats.newNeighborSummaries == 1)
    p.exchange(out, from: p.high.id)
    #expect(p.high.topology[p.low.id] != nil)
    #expect(p.high.topology[p.third] != nil)

    // Once only.
    p.now = p.now.adding(seconds: 3)
    out = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
    #expect(!Pair.hasSummary(out, to: p.low.id, mode: .versions))
    #expect(p.high.stats.newNeighborSummaries == 1)
  }

  @Test(arguments: [false, true])
  func noSecondSummaryWhenTheLowerIDSentOne(summaryFirst: Bool) throws {
    var p = try Pair()
    // Both see a new neighbour; the lower ID's summary may arrive before or after the tick
    // that reports the neighbour to the higher ID.
    var out: [Gossiper.Outgoing] = []
    let fromLow = p.low.tick(now: p.now, neighbors: [p.high.id], random: &p.random)
    #expect(Pair.hasSummary(fromLow, to: p.high.id, mode: .membership))
    if summaryFirst {
      p.exchange(fromLow, from: p.low.id)
      out = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
    } else {
      out = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
      p.exchange(fromLow, from: p.low.id)
    }
    #expect(!Pair.hasSummary(out, to: p.low.id))
    #expect(p.high.topology[p.third] != nil)
    for _ in 0..<30 {
      p.now = p.now.adding(seconds: 0.1)
      out = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
      #expect(!Pair.hasSummary(out, to: p.low.id, mode: .versions))
    }
    #expect(p.high.stats.newNeighborSummaries == 0)
  }

  @Test func aNeighbourThatLeftIsNotWaitedFor() throws {
    var p = try Pair()
    _ = p.high.tick(now: p.now, neighbors: [p.low.id], random: &p.random)
    p.now = p.now.adding(seconds: 1)
    _ = p.high.tick(now: p.now, neighbors: [], random: &p.random)
    p.now = p.now.adding(seconds: 2)
    let out = p.high.tick(now: p.now, neighbors: [], random: &p.random)
    #expect(out.isEmpty)
    #expect(p.high.awaitingSummary.isEmpty)
    #expect(p.high.stats.newNeighborSummaries == 0)
  }
}
