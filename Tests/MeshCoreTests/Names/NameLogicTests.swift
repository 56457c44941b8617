import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshTypes

/// The pure decisions of the name registry: label rules, what a host publishes within its
/// record's bounds, which names of the mesh are served, containers into names, backoff.
@Suite("Name logic")
struct NameLogicTests {
  static let host = PeerID(rawValue: 0x1111)

  static func ip(_ text: String) -> UInt32 { Endpoint.parseV4(text[...])! }

  @Test func labelRules() {
    for valid in [
      "web", "w", "web-1", "1web", "a.b", "db.prod.eu", String(repeating: "a", count: 63),
    ] {
      #expect(NameRules.isValid(valid), "\(valid)")
    }
    let invalid = [
      "", "Web", "web_1", "-web", "web-", "a..b", ".a", "a.", "we b", "wéb",
      String(repeating: "a", count: 64), "a.-b", "a-.b",
      (0..<65).map { _ in "a" }.joined(separator: "."),
    ]
    for name in invalid { #expect(!NameRules.isValid(name), "\(name)") }
    #expect(NameRules.normalized("Web-1") == "web-1")
    #expect(NameRules.normalized("my_app") == nil)
    #expect(NameRules.isLabel("web") && !NameRules.isLabel("a.b"))
  }

  @Test func publishedNamesPutManualFirstAndStayWithinBounds() {
    var local = LocalNames()
    let first = local.addManual("gateway", address: Self.ip("10.47.1.1"), host: Self.host)
    let again = local.addManual("gateway", address: Self.ip("10.47.1.1"), host: Self.host)
    #expect(first && !again)
    local.discovered =
      (0..<100).map {
        NameEntry(
          name: "c\($0)-" + String(repeating: "x", count: 20), kind: .container,
          address: Self.ip("10.47.1.\($0 + 2)"), host: Self.host)
      } + [
        NameEntry(
          name: "web", kind: .service, address: Self.ip("10.47.1.2"), ports: [80],
          host: Self.host)
      ]
    let (names, leftOut) = local.published()
    #expect(names.contains { $0.name == "gateway" && $0.kind == .manual })
    #expect(names.contains { $0.name == "web" && $0.kind == .service })
    #expect(names.count <= NameLimits.maxNamesPerHost)
    #expect(1 + names.reduce(0) { $0 + $1.encodedSize } <= NameLimits.maxNameBytes)
    #expect(leftOut == 102 - names.count)
    #expect(names == NameEntry.canonical(names))
    let removed = local.removeManual("gateway", address: nil)
    let none = local.removeManual("gateway", address: nil)
    #expect(removed == 1 && none == 0)
  }

  @Test func containersBecomeNamesAndServices() {
    let containers = [
      LocalContainer(
        id: "b", name: "Web-1", service: "web",
        addresses: [Self.ip("172.17.0.2"), Self.ip("10.47.1.2")],
        tcpPorts: [443, 80, 80]),
      LocalContainer(id: "a", name: "db", addresses: [Self.ip("10.47.1.3")]),
      LocalContainer(id: "c", name: "my_app", addresses: [Self.ip("10.47.1.4")]),
      LocalContainer(id: "d", name: "elsewhere", addresses: [Self.ip("172.17.0.9")]),
      LocalContainer(
        id: "e", name: "ok", service: "Bad_Service", addresses: [Self.ip("10.47.1.5")]),
    ]
    let onBridge = IPv4Network("10.47.0.0/16")!
    let naming = ContainerNames.naming(containers, host: Self.host, onBridge: onBridge.contains)
    #expect(
      naming.entries.map { "\($0.name)/\($0.kind)/\(IPv4Network.format($0.address))/\($0.ports)" }
        == [
          "db/container/10.47.1.3/[]", "ok/container/10.47.1.5/[]",
          "web/service/10.47.1.2/[80, 443]", "web-1/container/10.47.1.2/[80, 443]",
        ])
    #expect(Set(naming.invalid) == ["my_app", "Bad_Service"])
  }

  @Test func changesBetweenContainerSets() {
    let a = NameEntry(name: "a", kind: .container, address: 1, host: Self.host)
    let b = NameEntry(name: "b", kind: .container, address: 2, host: Self.host)
    var b2 = b
    b2.ports = [80]
    let (added, removed) = ContainerNames.changes(from: [a, b], to: [b2])
    #expect(added == [b2])
    #expect(removed == [a, b])
    #expect(ContainerNames.changes(from: [a], to: [a]) == ([], []))
  }

  @Test func theAddressRuleKeepsNamesInsideThePublishersSubnet() {
    var seeded = SeededRandom(seed: 99)
    var record = PeerRecord(
      publicKey: MeshFixtures.keys(1, &seeded)[0], nickname: "h", version: 1,
      subnet: IPv4Network("10.47.1.0/24"))
    let id = record.id
    let inside = NameEntry(name: "web", kind: .container, address: Self.ip("10.47.1.9"), host: id)
    let outside = NameEntry(name: "web", kind: .container, address: Self.ip("10.47.2.9"), host: id)
    let manualInRange = NameEntry(
      name: "vm", kind: .manual, address: Self.ip("10.47.9.9"), host: id)
    let manualOut = NameEntry(name: "vm", kind: .manual, address: Self.ip("192.0.2.1"), host: id)
    let range = IPv4Network("10.47.0.0/16")
    #expect(NamePolicy.servable(inside, in: record, meshRange: range))
    #expect(!NamePolicy.servable(outside, in: record, meshRange: range))
    #expect(NamePolicy.servable(manualInRange, in: record, meshRange: range))
    #expect(!NamePolicy.servable(manualOut, in: record, meshRange: range))
    // Without a claim: the mesh range when there is one, else trusted.
    record.subnet = nil
    #expect(!NamePolicy.servable(outside, in: record, meshRange: IPv4Network("10.48.0.0/16")))
    #expect(NamePolicy.servable(manualOut, in: record, meshRange: nil))
  }

  @Test func onlyLiveHostsNamesAreServed() {
    var seeded = SeededRandom(seed: 98)
    let keys = MeshFixtures.keys(4, &seeded)
    let records = keys.enumerated().map { index, key in
      var r = PeerRecord(
        publicKey: key, nickname: "h", version: 1, subnet: IPv4Network("10.47.\(index).0/24"))
      r.names = [
        NameEntry(
          name: "n\(index)", kind: .container, address: Self.ip("10.47.\(index).2"), host: r.id),
        NameEntry(name: "bad", kind: .container, address: Self.ip("10.99.0.1"), host: r.id),
      ]
      return r
    }
    var departed = records[1]
    departed.departed = true
    let unreachable = records[3].id
    let (entries, refused) = NamePolicy.collect(
      [records[0], departed, records[2], records[3]], meshRange: IPv4Network("10.47.0.0/16"),
      released: [records[2].id], isLive: { $0 != unreachable })
    #expect(entries.map(\.name) == ["n0"])
    #expect(refused == 1)
  }

  @Test func backoffGrowsToItsCapAndResets() {
    var backoff = ReconnectBackoff()
    let waits = (0..<10).map { _ in backoff.failed(random: 0) }
    #expect(waits.first == ReconnectBackoff.initial)
    #expect(waits[1] == 2 * ReconnectBackoff.initial)
    #expect(waits.last == ReconnectBackoff.maximum)
    #expect(zip(waits, waits.dropFirst()).allSatisfy { $0 <= $1 })
    let jittered = backoff.failed(random: 1)
    #expect(jittered == ReconnectBackoff.maximum * (1 + ReconnectBackoff.jitter))
    backoff.succeeded()
    #expect(backoff.failed(random: 0) == ReconnectBackoff.initial)
  }
}

/// An embedder's names beyond a record's bounds never stop the record from being published.
@Suite("Engine local names")
struct EngineLocalNamesTests {
  @Test func namesBeyondTheBoundsAreCutNotRefused() throws {
    let network = Network()
    var random = SeededRandom(seed: 5)
    let config = MeshEngineConfiguration(
      privateKey: PrivateKey.generate(using: &random), nickname: "h",
      clusterSecrets: [try SymmetricKey(bytes: Array(repeating: 7, count: 32))])
    var engine = MeshEngine(configuration: config, clock: network.clock, random: random)
    let many = (0..<200).map {
      NameEntry(name: "n\($0)", kind: .container, address: UInt32($0), host: PeerID(rawValue: 0))
    }
    engine.setLocalNames(
      many + [NameEntry(name: "Bad_", kind: .manual, address: 1, host: engine.id)])
    #expect(engine.localNames.count <= NameLimits.maxNamesPerHost)
    #expect(engine.localNames.allSatisfy { $0.host == engine.id && $0.isWellFormed })
    var out = Recorder()
    engine.tick(now: network.clock.now(), out: &out)
    #expect(engine.gossiper.topology[engine.id]?.names == engine.localNames)
  }
}
