import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

@Suite("Gossip codec and reassembly")
struct GossipCodecTests {
  func bigRecord(_ random: inout SeededRandom, connections: Int) -> PeerRecord {
    let ids = (0..<connections).map { _ in PeerID(rawValue: random.next64()) }
    var record = MeshFixtures.record(
      MeshFixtures.key(&random), version: random.next64(), connections: ids,
      nickname: String(repeating: "é", count: 32))
    record.endpoints = (0..<WireLimits.maxEndpoints).map {
      Endpoint(address: $0 % 2 == 0 ? .v4(random.next32()) : .v6(random.next64(), 7), port: 9)
    }
    record.subnet = IPv4Network("10.2.5.0/24")
    record.signature = random.bytes(PeerRecord.signatureLength)
    if random.chance(0.3) {
      record.departed = true
      record.authority = .operator(OperatorPublicKey(bytes: random.bytes(32))!)
    }
    return record
  }

  /// Decodes messages and reassembles every record in them.
  /// (A duplicate arriving after its record completed opens a new entry, so `drained` is only
  /// expected without duplicates; the gossiper filters those against the topology.)
  func unpack(_ messages: [[UInt8]], drained: Bool = true) throws -> [PeerRecord] {
    var reassembly = GossipReassembly()
    var out: [PeerRecord] = []
    for bytes in messages {
      guard case .records(let segments) = try GossipMessage.decode(bytes) else {
        Issue.record("not records")
        continue
      }
      for segment in segments { if let whole = reassembly.add(segment) { out.append(whole) } }
    }
    if drained { #expect(reassembly.count == 0 && reassembly.reservedBytes == 0) }
    return out
  }

  @Test func recordsRoundTripThroughPackingWithinTheSizeLimit() throws {
    for seed in 0..<30 {
      var random = SeededRandom(seed: 400 + UInt64(seed))
      var records: [PeerRecord] = []
      for _ in 0..<(1 + random.below(40)) {
        let size =
          random.chance(0.2) ? random.below(MeshLimits.maxConnections + 1) : random.below(20)
        records.append(bigRecord(&random, connections: size))
      }
      let messages = GossipMessage.pack(records)
      #expect(messages.allSatisfy { $0.count <= WireLimits.maxGossip })
      let back = try unpack(messages)
      #expect(Set(back) == Set(records))
      for record in back { #expect(throws: Never.self) { try record.validate() } }
    }
  }

  @Test func smallRecordsShareMessages() {
    var random = SeededRandom(seed: 1)
    let records = MeshFixtures.keys(40, &random).map { MeshFixtures.record($0, version: 1) }
    let messages = GossipMessage.pack(records)
    let total = messages.reduce(0) { $0 + $1.count }
    #expect(messages.count == (total + WireLimits.maxGossip - 1) / WireLimits.maxGossip)
  }

  @Test func maximalRecordSurvivesShuffledAndDuplicatedSegments() throws {
    var random = SeededRandom(seed: 2)
    let record = bigRecord(&random, connections: MeshLimits.maxConnections)
    let messages = GossipMessage.pack([record])
    #expect(messages.count > 30)
    let shuffled = random.shuffled(messages + messages.prefix(5))
    let back = try unpack(shuffled, drained: false)
    #expect(back.first == record)
  }

  @Test func otherMessagesRoundTrip() throws {
    var random = SeededRandom(seed: 3)
    let entries = (0..<500).map { _ in
      DigestEntry(id: PeerID(rawValue: random.next64()), version: 1)
    }
    .sorted { $0.id < $1.id }
    let chunks = DigestChunk.chunks(
      mode: .versions, lower: PeerID(rawValue: 0), upper: PeerID(rawValue: .max), entries: entries)
    var rebuilt: [DigestEntry] = []
    for chunk in chunks {
      let bytes = try GossipMessage.digest(chunk).encode()
      #expect(bytes.count <= WireLimits.maxGossip)
      #expect(try GossipMessage.decode(bytes) == .digest(chunk))
      rebuilt += chunk.entries
    }
    #expect(rebuilt == entries)
    for (a, b) in zip(chunks, chunks.dropFirst()) {
      #expect(a.upper.rawValue &+ 1 == b.lower.rawValue)
    }
    let ids = entries.map(\.id)
    for request in GossipMessage.requests(ids) {
      let bytes = try request.encode()
      #expect(bytes.count <= WireLimits.maxGossip)
      #expect(try GossipMessage.decode(bytes) == request)
    }
    let summary = Topology().summary(mode: .membership)
    #expect(try GossipMessage.decode(GossipMessage.summary(summary).encode()) == .summary(summary))
  }

  @Test func malformedInputIsRejectedWithoutTrapping() throws {
    var random = SeededRandom(seed: 4)
    let good = GossipMessage.pack([bigRecord(&random, connections: 30)])[0]
    for cut in 0..<good.count {
      #expect(throws: WireError.self) { try GossipMessage.decode(Array(good.prefix(cut))) }
    }
    #expect(throws: WireError.malformed) { try GossipMessage.decode(good + [0]) }
    #expect(throws: WireError.oversized) {
      try GossipMessage.decode([UInt8](repeating: 0x11, count: WireLimits.maxGossip + 1))
    }
    #expect(throws: WireError.unsupportedVersion(2)) { try GossipMessage.decode([0x21, 1]) }
    #expect(throws: WireError.unknownType(0x19)) { try GossipMessage.decode([0x19]) }
    #expect(throws: WireError.malformed) { try GossipMessage.decode([0x13, 0, 0]) }
    #expect(throws: WireError.oversized) { try GossipMessage.decode([0x13, 0xFF, 0xFF]) }
    for _ in 0..<20_000 {
      let junk = random.bytes(random.below(200))
      _ = try? GossipMessage.decode(junk)
      var mutated = good
      mutated[random.below(mutated.count)] ^= UInt8(1 + random.below(255))
      _ = try? GossipMessage.decode(mutated)
    }
  }

  @Test func reassemblyStaysBoundedUnderAFloodOfBogusSegments() {
    var random = SeededRandom(seed: 5)
    var reassembly = GossipReassembly()
    let key = MeshFixtures.key(&random)
    for round in 0..<5_000 {
      var header = MeshFixtures.record(key, version: UInt64(round), connections: [])
      header.id = PeerID(rawValue: random.next64())
      header.connections = [PeerID(rawValue: random.next64())]
      let segment = RecordSegment(
        record: header, totalConnections: MeshLimits.maxConnections,
        offset: random.below(MeshLimits.maxConnections))
      let whole = reassembly.add(segment)
      #expect(whole == nil)
      #expect(reassembly.count <= MeshLimits.maxReassemblyEntries)
      #expect(reassembly.reservedBytes <= MeshLimits.maxReassemblyBytes)
    }
    #expect(reassembly.evicted > 0)
    // Out-of-bounds and overlapping segments are refused.
    var header = MeshFixtures.record(key, version: 1, connections: [PeerID(rawValue: 5)])
    let outside = reassembly.add(RecordSegment(record: header, totalConnections: 1, offset: 1))
    #expect(outside == nil)
    header.connections = [PeerID(rawValue: 5), PeerID(rawValue: 6)]
    _ = reassembly.add(RecordSegment(record: header, totalConnections: 4, offset: 0))
    let before = reassembly.dropped
    let overlap = reassembly.add(RecordSegment(record: header, totalConnections: 4, offset: 1))
    #expect(overlap == nil)
    #expect(reassembly.dropped == before + 1)
  }

  /// FuzzGossip found it: a segment of a pending record that claims more slots than the
  /// record's first segment trapped on an index out of range. It is refused now.
  @Test func aSegmentDisagreeingOnTheSlotCountIsRefused() {
    var random = SeededRandom(seed: 6)
    var reassembly = GossipReassembly()
    var header = MeshFixtures.record(
      MeshFixtures.key(&random), version: 1, connections: [PeerID(rawValue: 5)])
    #expect(reassembly.add(RecordSegment(record: header, totalConnections: 4, offset: 0)) == nil)
    header.connections = [PeerID(rawValue: 6)]
    let before = reassembly.dropped
    #expect(reassembly.add(RecordSegment(record: header, totalConnections: 100, offset: 50)) == nil)
    #expect(reassembly.dropped == before + 1)
    #expect(reassembly.count == 1)
  }
}
