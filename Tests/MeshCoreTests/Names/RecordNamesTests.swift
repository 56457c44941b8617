import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// Names travel in the host's signed record: they round-trip through the codec, are bounded,
/// validated on receipt (the whole record is dropped and counted otherwise), covered by the
/// signature, and cannot be published by one member for another host.
@Suite("Record names")
struct RecordNamesTests {
  struct Fixture {
    var keys: [PrivateKey]
    var receiver: Gossiper
    let now = MeshInstant(nanoseconds: 1_000_000_000)
    let wall: UInt64 = 5_000_000_000_000

    init() {
      var random = SeededRandom(seed: 77)
      keys = MeshFixtures.privateKeys(4, &random)
      receiver = try! MeshFixtures.gossiper(
        keys[0], MeshFixtures.record(keys[0].publicKey, version: 10))
    }

    func id(_ host: Int) -> PeerID { keys[host].publicKey.peerID }

    /// Host `host`'s record with `names` (their host set to it), unsigned.
    func record(_ host: Int, version: UInt64 = 2_000, names: [NameEntry]) -> PeerRecord {
      var record = MeshFixtures.record(
        keys[host].publicKey, version: version, connections: [id(0)], nickname: "h\(host)")
      record.subnet = IPv4Network("10.47.\(host).0/24")
      record.names = names.map {
        var entry = $0
        entry.host = id(host)
        return entry
      }
      return record
    }

    mutating func deliver(_ records: PeerRecord..., from: Int = 2) {
      for bytes in GossipMessage.pack(records) {
        _ = receiver.received(bytes: bytes, from: id(from), now: now, wall: wall)
      }
    }
  }

  static func entry(
    _ name: String, _ kind: NameEntry.Kind = .container, _ address: String = "10.47.1.5",
    ports: [UInt16] = []
  ) -> NameEntry {
    NameEntry(
      name: name, kind: kind, address: Endpoint.parseV4(address[...])!, ports: ports,
      host: PeerID(rawValue: 0))
  }

  @Test func namesRoundTripThroughTheCodecAndVerify() throws {
    var f = Fixture()
    let names = NameEntry.canonical([
      Self.entry("web", .container, ports: [80, 443]), Self.entry("web", .service, ports: [80]),
      Self.entry("db.prod", .manual, "10.47.1.9"),
    ])
    let record = MeshFixtures.signed(f.record(1, names: names), by: f.keys[1])
    try record.validate()
    try record.verifySignature(operatorKeys: [])
    f.deliver(record)
    #expect(f.receiver.topology[f.id(1)] == record)
    #expect(f.receiver.topology[f.id(1)]?.names.map(\.name) == ["db.prod", "web", "web"])
    #expect(f.receiver.topology[f.id(1)]?.names.allSatisfy { $0.host == f.id(1) } == true)
  }

  @Test func aRecordWithoutNamesEncodesAsBefore() {
    let f = Fixture()
    let record = f.record(1, names: [])
    var bytes: [UInt8] = []
    RecordSegment.encodeHeader(record, into: &bytes)
    // Flags: departed 0, subnet 2, names bit absent.
    #expect(bytes[8 + 32 + 8] == RecordSegment.flagSubnet)
  }

  @Test func namesAreCoveredByTheSignature() throws {
    let f = Fixture()
    let record = MeshFixtures.signed(f.record(1, names: [Self.entry("web")]), by: f.keys[1])
    let tampers: [(String, (inout PeerRecord) -> Void)] = [
      ("address", { $0.names[0].address += 1 }),
      ("name", { $0.names[0].name = "wab" }),
      ("kind", { $0.names[0].kind = .service }),
      ("ports", { $0.names[0].ports = [22] }),
      (
        "added",
        {
          $0.names.append(Self.entry("zzz")); $0.names[1].host = $0.id
        }
      ),
      ("removed", { $0.names = [] }),
    ]
    for (what, tamper) in tampers {
      var copy = record
      tamper(&copy)
      #expect(throws: GossipError.badSignature, "\(what)") {
        try copy.verifySignature(operatorKeys: [])
      }
    }
  }

  @Test func aMemberCannotPublishNamesForAnotherHost() {
    var f = Fixture()
    let genuine = MeshFixtures.signed(f.record(1, version: 1_000, names: []), by: f.keys[1])
    f.deliver(genuine)
    // Host 2 (gone bad) adds a name to host 1's record and signs it with its own key.
    let forged = f.record(1, version: 1_500, names: [Self.entry("web")])
      .signed(with: f.keys[2], random: [UInt8](repeating: 9, count: 64))
    f.deliver(forged)
    #expect(f.receiver.topology[f.id(1)] == genuine)
    #expect(f.receiver.stats.badSignatures == 1)
    // The wire carries no host per name: a name is always the host's whose record carries
    // it, so one that says otherwise fails validation, and off the wire names are the
    // signer's own.
    var own = f.record(2, names: [Self.entry("web", .container, "10.47.2.5")])
    own.names[0].host = f.id(1)
    #expect(throws: GossipError.badNames) { try own.validate() }
    f.deliver(MeshFixtures.signed(own, by: f.keys[2]))
    #expect(f.receiver.topology[f.id(2)]?.names.map(\.host) == [f.id(2)])
  }

  @Test func malformedNamesDropTheRecordAndAreCounted() {
    let bad: [(String, [NameEntry])] = [
      ("uppercase", [Self.entry("Web")]),
      ("underscore", [Self.entry("my_app")]),
      ("dot in a container name", [Self.entry("a.b")]),
      ("leading hyphen", [Self.entry("-web")]),
      ("empty label", [Self.entry("a..b", .manual)]),
      ("label over 63", [Self.entry(String(repeating: "a", count: 64))]),
      ("port zero", [Self.entry("web", ports: [0, 80])]),
      ("ports unsorted", [Self.entry("web", ports: [443, 80])]),
      ("duplicate", [Self.entry("web"), Self.entry("web")]),
      ("unsorted", [Self.entry("zz"), Self.entry("aa")]),
      ("too many", (0..<(NameLimits.maxNamesPerHost + 1)).map { Self.entry("n\($0)") }),
    ]
    for (what, names) in bad {
      var f = Fixture()
      var record = f.record(1, names: [])
      record.names = names.map {
        var e = $0
        e.host = f.id(1)
        return e
      }
      #expect(throws: GossipError.badNames, "\(what)") { try record.validate() }
      f.deliver(MeshFixtures.signed(record, by: f.keys[1]))
      #expect(f.receiver.topology[f.id(1)] == nil, "\(what)")
      // Counted: as a record breaking the rules, or (counts over the bound) by the codec.
      #expect(f.receiver.stats.invalidRecords + f.receiver.stats.decodeErrors == 1, "\(what)")
    }
  }

  @Test func aTombstoneCarriesNoNames() throws {
    let f = Fixture()
    var record = f.record(1, names: [Self.entry("web")])
    record.departed = true
    #expect(throws: GossipError.badNames) { try record.validate() }
    // An operator's tombstone drops the names of the record it retires.
    var seeded = SeededRandom(seed: 1)
    let operatorKey = OperatorKey.generate(using: &seeded)
    let tombstone = f.record(1, names: [Self.entry("web")]).tombstone(
      signedBy: operatorKey, wallNanoseconds: 9)
    #expect(tombstone.names.isEmpty)
    // And the codec refuses names on a departed record.
    var bytes: [UInt8] = []
    RecordSegment.encode(
      record, connections: record.connections[...], offset: 0, into: &bytes)
    var reader = ByteReader(bytes)
    #expect(throws: WireError.malformed) { _ = try RecordSegment.decode(&reader) }
  }

  @Test func theWorstCaseHeaderLeavesRoomForConnections() {
    let f = Fixture()
    // The largest names section the limits allow, with the longest nickname and endpoints.
    var names: [NameEntry] = []
    var bytes = 1
    var n = 0
    while true {
      let entry = NameEntry(
        name: "n\(n)" + String(repeating: "a", count: 40), kind: .container,
        address: 0x0A2F_0105, ports: Array(1...8), host: f.id(1))
      guard bytes + entry.encodedSize <= NameLimits.maxNameBytes,
        names.count < NameLimits.maxNamesPerHost
      else { break }
      names.append(entry)
      bytes += entry.encodedSize
      n += 1
    }
    var record = f.record(1, names: [])
    record.names = NameEntry.canonical(names)
    record.nickname = String(repeating: "x", count: WireLimits.maxNickname)
    record.endpoints = (0..<WireLimits.maxEndpoints).map { _ in Endpoint("[2001:db8::1]:6786")! }
    record.connections = (1...500).map { PeerID(rawValue: UInt64($0) << 20) }
    #expect(throws: Never.self) { try record.validateShape() }
    let segments = RecordSegment.split(record, budget: MeshLimits.maxMessage - 2)
    #expect(segments.allSatisfy { $0.count <= MeshLimits.maxMessage - 2 })
    #expect(RecordSegment.headerSize(record) + 8 * 16 <= MeshLimits.maxMessage - 2)
    // And it reassembles whole, names included.
    let signed = MeshFixtures.signed(record, by: f.keys[1])
    var g = f
    g.deliver(signed)
    #expect(g.receiver.topology[f.id(1)] == signed)
  }

  @Test func oversizedCountsAreRefusedByTheCodec() {
    let f = Fixture()
    let record = f.record(1, names: [Self.entry("web")])
    var bytes: [UInt8] = []
    RecordSegment.encodeHeader(record, into: &bytes)
    // The names count sits after the endpoints: id, key, version, flags, subnet (13),
    // nickname, endpoints (IPv4: 7 bytes each).
    let countAt =
      8 + 32 + 8 + 1 + 13 + 1 + record.nickname.utf8.count + 1
      + 7 * record.endpoints.count
    #expect(bytes[countAt] == 1)
    var tooMany = bytes
    tooMany[countAt] = UInt8(NameLimits.maxNamesPerHost + 1)
    var reader = ByteReader(tooMany)
    #expect(throws: WireError.oversized) { _ = try RecordSegment.decode(&reader) }
    var zero = bytes
    zero[countAt] = 0
    reader = ByteReader(zero)
    #expect(throws: WireError.malformed) { _ = try RecordSegment.decode(&reader) }
  }
}
