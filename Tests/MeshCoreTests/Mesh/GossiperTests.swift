import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// N gossipers joined by fixed sessions, with a fake clock and optional message loss.
struct GossipNet {
  var nodes: [PeerID: Gossiper] = [:]
  var keys: [PeerID: PublicKey] = [:]
  var sessions: [PeerID: [PeerID]] = [:]
  var queue: [(to: PeerID, from: PeerID, bytes: [UInt8])] = []
  var clock = MeshInstant(nanoseconds: 1_000_000_000)
  var random: SeededRandom
  var loss: Double
  var delivered = 0

  /// `count` hosts on a ring with random chords; each record lists its sessions.
  init(count: Int, seed: UInt64, loss: Double = 0, configuration: Gossiper.Configuration) {
    random = SeededRandom(seed: seed)
    self.loss = loss
    let privateKeys = MeshFixtures.privateKeys(count, &random)
    let keyList = privateKeys.map(\.publicKey)
    let ids = keyList.map(\.peerID)
    var links = [Set<PeerID>](repeating: [], count: count)
    for index in 0..<count {
      let other = [(index + 1) % count, random.below(count)]
      for peer in other where peer != index {
        links[index].insert(ids[peer])
        links[peer].insert(ids[index])
      }
    }
    for index in 0..<count {
      let id = ids[index]
      keys[id] = keyList[index]
      sessions[id] = links[index].sorted()
      let record = MeshFixtures.record(keyList[index], version: 1, connections: sessions[id]!)
      nodes[id] = try! MeshFixtures.gossiper(
        privateKeys[index], record, configuration: configuration)
    }
  }

  /// Runs `seconds` of simulated time in steps of `step`, delivering messages one step later.
  mutating func run(seconds: Double, step: Double = 0.05) {
    for _ in 0..<Int(seconds / step) {
      clock = clock.adding(seconds: step)
      let batch = queue
      queue.removeAll()
      for message in batch where !random.chance(loss) {
        delivered += 1
        let out = nodes[message.to]!.received(
          bytes: message.bytes, from: message.from, now: clock, wall: clock.nanoseconds)
        queue += out.map { ($0.to, message.to, $0.bytes) }
      }
      for id in nodes.keys.sorted() {
        let out = nodes[id]!.tick(now: clock, neighbors: sessions[id]!, random: &random)
        queue += out.map { ($0.to, id, $0.bytes) }
      }
    }
  }

  /// Whether every host holds the same topology, with a record for every host.
  var converged: Bool {
    let first = nodes.values.first!.topology
    return first.count == nodes.count && nodes.values.allSatisfy { $0.topology == first }
  }
}

@Suite("Gossiper")
struct GossiperTests {
  let fast = Gossiper.Configuration(pushInterval: 0.1, antiEntropyInterval: 2)

  @Test func hostsConvergeAndSpreadChangesByPush() throws {
    for seed in 0..<4 {
      var net = GossipNet(
        count: 25, seed: 500 + UInt64(seed), configuration: Gossiper.Configuration())
      net.run(seconds: 6)
      #expect(net.converged == true, "topologies differ")
      // A change spreads by push alone (anti-entropy is at least 15 s away); each relay hop
      // waits `relayDelay` (1 s).
      let id = net.nodes.keys.sorted()[3]
      var record = net.nodes[id]!.local
      record.nickname = "changed"
      try net.nodes[id]!.setLocal(record, now: net.clock)
      net.run(seconds: 7)
      #expect(net.converged == true, "topologies differ")
      #expect(net.nodes.values.allSatisfy { $0.topology[id]?.nickname == "changed" })
    }
  }

  @Test func antiEntropyRepairsTwentyPercentLoss() throws {
    for seed in 0..<3 {
      var net = GossipNet(count: 20, seed: 600 + UInt64(seed), loss: 0.2, configuration: fast)
      net.run(seconds: 40)
      #expect(net.converged == true, "topologies differ")
      for id in net.nodes.keys.sorted().prefix(5) {
        var record = net.nodes[id]!.local
        record.endpoints = [Endpoint("198.51.100.\(seed + 1):7000")!]
        try net.nodes[id]!.setLocal(record, now: net.clock)
      }
      net.run(seconds: 40)
      #expect(net.converged == true, "topologies differ")
      let versions = net.nodes.values.map { $0.topology.digest }
      #expect(Set(versions.map { $0.map(\.version) }).count == 1)
    }
  }

  @Test func steadyStateTrafficIsSmall() {
    var net = GossipNet(count: 30, seed: 700, configuration: Gossiper.Configuration())
    net.run(seconds: 10)
    #expect(net.converged == true, "topologies differ")
    let before = net.nodes.values.reduce(0) { $0 + $1.stats.bytesSent }
    net.run(seconds: 120, step: 0.5)
    let after = net.nodes.values.reduce(0) { $0 + $1.stats.bytesSent }
    let perHostPerSecond = Double(after - before) / 30 / 120
    #expect(perHostPerSecond < 200)
  }

  @Test func anOlderIncarnationOfOurselvesLosesAndEventsReportNewHosts() throws {
    var random = SeededRandom(seed: 800)
    let privateKeys = MeshFixtures.privateKeys(3, &random)
    let keys = privateKeys.map(\.publicKey)
    var a = try MeshFixtures.gossiper(
      privateKeys[0], MeshFixtures.record(keys[0], version: 10))
    let now = MeshInstant(nanoseconds: 1)
    var older = MeshFixtures.record(keys[0], version: 50, nickname: "ghost")
    older.endpoints = []
    older = MeshFixtures.signed(older, by: privateKeys[0])
    let b = keys[1].peerID
    let records = [older, MeshFixtures.signedRecord(privateKeys[1], version: 1)]
    for bytes in GossipMessage.pack(records) {
      _ = a.received(bytes: bytes, from: b, now: now, wall: now.nanoseconds)
    }
    #expect(a.local.version == 51 && a.local.nickname == "h")
    #expect(a.topology[keys[0].peerID] == a.local)
    let events = a.takeEvents()
    #expect(events == [.learned(b, endpoints: [Endpoint("192.0.2.1:6786")!])])
    let none = a.takeEvents()
    #expect(none.isEmpty)
    // Garbage is counted, not fatal.
    _ = a.received(bytes: [0x11, 0xFF], from: b, now: now, wall: now.nanoseconds)
    #expect(a.stats.decodeErrors == 1)
    #expect(throws: GossipError.notLocal) {
      try a.setLocal(MeshFixtures.record(keys[2], version: 1), now: now)
    }
  }

  @Test func requestsAndDigestsAnswerWithRecords() throws {
    var random = SeededRandom(seed: 900)
    let privateKeys = MeshFixtures.privateKeys(4, &random)
    let keys = privateKeys.map(\.publicKey)
    var a = try MeshFixtures.gossiper(privateKeys[0], MeshFixtures.record(keys[0], version: 1))
    let now = MeshInstant(nanoseconds: 1)
    let wall = now.nanoseconds
    let others = privateKeys.dropFirst().map { MeshFixtures.signedRecord($0, version: 3) }
    for bytes in GossipMessage.pack(others) {
      _ = a.received(bytes: bytes, from: others[0].id, now: now, wall: wall)
    }
    let asked = a.received(
      .request([others[1].id, others[1].id]), from: others[0].id, now: now, wall: wall)
    #expect(asked.count == 1)
    #expect(
      try GossipMessage.decode(asked[0].bytes)
        == .records([RecordSegment(record: others[1], totalConnections: 0, offset: 0)]))
    // A digest that knows nothing gets every record; one that is newer gets a request.
    let chunk = DigestChunk(
      mode: .versions, lower: PeerID(rawValue: 0), upper: PeerID(rawValue: .max),
      entries: [DigestEntry(id: others[2].id, version: 9)])
    let answer = a.received(.digest(chunk), from: others[0].id, now: now, wall: wall)
    let decoded = try answer.map { try GossipMessage.decode($0.bytes) }
    #expect(decoded.contains(.request([others[2].id])))
    var sent: [PeerID] = []
    for message in decoded {
      if case .records(let segments) = message { sent += segments.map(\.record.id) }
    }
    #expect(Set(sent) == Set([keys[0].peerID, others[0].id, others[1].id]))
  }
}
