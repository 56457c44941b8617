import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

@Suite("Topology merge")
struct TopologyMergeTests {
  /// Several competing versions (some with equal version numbers) of records for a few hosts.
  func candidates(_ random: inout SeededRandom) -> [PeerRecord] {
    let keys = MeshFixtures.keys(2 + random.below(6), &random)
    var out: [PeerRecord] = []
    for key in keys {
      for _ in 0..<(1 + random.below(4)) {
        let conns = keys.filter { _ in random.chance(0.5) }.map(\.peerID)
        out.append(
          MeshFixtures.record(
            key, version: UInt64(random.below(3)), connections: conns,
            nickname: "n\(random.below(3))"))
      }
    }
    return out
  }

  @Test func mergeIsCommutativeAssociativeAndIdempotent() {
    for seed in 0..<60 {
      var random = SeededRandom(seed: UInt64(seed))
      let all = candidates(&random)
      let reference = Topology(all)
      for _ in 0..<5 {
        // Any order, with duplicates, gives the same topology.
        var shuffled = random.shuffled(all + all.filter { _ in random.chance(0.3) })
        shuffled = random.shuffled(shuffled)
        #expect(Topology(shuffled) == reference)
      }
      let parts = [0, 1, 2].map { part in Topology(all.filter { _ in random.below(3) == part }) }
      let left = MeshFixtures.union(MeshFixtures.union(parts[0], parts[1]), parts[2])
      let right = MeshFixtures.union(parts[0], MeshFixtures.union(parts[1], parts[2]))
      #expect(left == right)
      #expect(MeshFixtures.union(parts[0], parts[1]) == MeshFixtures.union(parts[1], parts[0]))
      var again = reference
      for record in all {
        let changed = again.merge(record)
        #expect(changed == false)
      }
      #expect(again == reference)
    }
  }

  @Test func higherVersionWinsAndEqualVersionTieBreakIsByBytes() {
    var random = SeededRandom(seed: 7)
    let key = MeshFixtures.key(&random)
    let old = MeshFixtures.record(key, version: 5, nickname: "old")
    let new = MeshFixtures.record(key, version: 6, nickname: "new")
    var topology = Topology()
    let mergedNew = topology.merge(new)
    #expect(mergedNew)
    let mergedOld = topology.merge(old)
    #expect(mergedOld == false)
    #expect(topology[key.peerID]?.nickname == "new")
    let a = MeshFixtures.record(key, version: 9, nickname: "a")
    let b = MeshFixtures.record(key, version: 9, nickname: "b")
    let winner = a.canonicalBytes.lexicographicallyPrecedes(b.canonicalBytes) ? b : a
    #expect(Topology([a, b]) == Topology([b, a]))
    #expect(Topology([a, b])[key.peerID] == winner)
  }

  @Test func invalidRecordsAreRefused() {
    var random = SeededRandom(seed: 8)
    let key = MeshFixtures.key(&random)
    var topology = Topology()
    var forged = MeshFixtures.record(key, version: 1)
    forged.id = PeerID(rawValue: forged.id.rawValue ^ 1)
    _ = topology.merge(forged)
    var unsorted = MeshFixtures.record(key, version: 1)
    unsorted.connections = [PeerID(rawValue: 9), PeerID(rawValue: 3)]
    _ = topology.merge(unsorted)
    var looped = MeshFixtures.record(key, version: 1)
    looped.connections = [key.peerID]
    _ = topology.merge(looped)
    var tooLong = MeshFixtures.record(key, version: 1)
    tooLong.nickname = String(repeating: "x", count: WireLimits.maxNickname + 1)
    _ = topology.merge(tooLong)
    #expect(topology.count == 0 && topology.refused == 4)
  }

  @Test func topologyIsBoundedButKnownIDsStillUpdate() {
    var random = SeededRandom(seed: 9)
    var topology = Topology()
    let keys = MeshFixtures.keys(MeshLimits.maxPeers + 3, &random)
    for key in keys { topology.merge(MeshFixtures.record(key, version: 1)) }
    #expect(topology.count == MeshLimits.maxPeers)
    #expect(topology.refused == 3)
    let updated = topology.merge(MeshFixtures.record(keys[0], version: 2))
    #expect(updated)
  }

  @Test func symmetricNeighborsNeedBothSides() {
    var random = SeededRandom(seed: 10)
    let k = MeshFixtures.keys(3, &random)
    let (a, b, c) = (k[0].peerID, k[1].peerID, k[2].peerID)
    let topology = Topology([
      MeshFixtures.record(k[0], version: 1, connections: [b, c]),
      MeshFixtures.record(k[1], version: 1, connections: [a]),
      MeshFixtures.record(k[2], version: 1, connections: []),
    ])
    #expect(topology.symmetricNeighbors(of: a) == [b])
    #expect(topology.symmetricNeighbors(of: c) == [])
    #expect(topology.digest.map(\.id) == [a, b, c].sorted())
  }
}
