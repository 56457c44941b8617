import MeshCore
import Testing

@Suite struct DNSResolverTests {
  typealias F = DNSFixture
  static let web = F.ip(10, 47, 5, 2)
  static let api2 = F.ip(10, 47, 6, 3)
  static let db = F.ip(10, 47, 6, 4)

  static let entries = [
    NameEntry(name: "web", kind: .container, address: web, ports: [80], host: F.host1),
    NameEntry(name: "api", kind: .service, address: web, ports: [80, 443], host: F.host1),
    NameEntry(name: "api", kind: .service, address: api2, ports: [443], host: F.host2),
    NameEntry(name: "db.prod", kind: .manual, address: db, host: F.host2),
    NameEntry(name: "bad..name", kind: .manual, address: 1, host: F.host2),
    NameEntry(name: "", kind: .manual, address: 2, host: F.host2),
  ]

  func resolver() -> DNSResolver {
    var r = DNSResolver(domain: DNSName("Mesh.Internal")!)
    r.load(DNSResolverTests.entries, generation: 3)
    return r
  }

  func answer(_ query: DNSMessage, seed: UInt64 = 1) throws -> DNSMessage {
    var random = SeededRandom(seed: seed)
    guard case .answer(let m) = resolver().decide(query, random: &random) else {
      Issue.record("expected an answer for \(query.questions)")
      throw DNSParseError.truncated
    }
    // Whatever it answers must survive the wire.
    return try DNSMessage(parsing: m.serialized())
  }

  @Test func answersAContainerNameAuthoritativelyWithAShortTTL() throws {
    let m = try answer(F.query("WEB.mesh.internal"))
    #expect(m.id == 0x4242 && m.isResponse)
    #expect(m.flags & DNSMessage.aaBit != 0)
    #expect(m.flags & DNSMessage.rdBit != 0)
    #expect(m.responseCode == 0)
    #expect(m.answers.count == 1)
    #expect(m.answers[0].data == .a(DNSResolverTests.web))
    #expect(m.answers[0].ttl == DNSResolver.defaultTTL)
    #expect(m.answers[0].ttl <= 10)
    // The owner is spelled as asked.
    #expect(m.answers[0].name.labels[0] == Array("WEB".utf8))
  }

  @Test func aServiceAnswersEveryInstanceShuffled() throws {
    var orders: Set<[UInt32]> = []
    for seed in 0..<20 {
      let m = try answer(F.query("api.mesh.internal"), seed: UInt64(seed))
      let addresses = m.answers.compactMap { r -> UInt32? in
        if case .a(let a) = r.data { return a }
        return nil
      }
      #expect(Set(addresses) == [DNSResolverTests.web, DNSResolverTests.api2])
      orders.insert(addresses)
    }
    #expect(orders.count == 2)
  }

  @Test func unknownNamesAreNXDOMAINWithTheSOA() throws {
    let m = try answer(F.query("nothing.mesh.internal"))
    #expect(m.responseCode == DNSResponseCode.nameError.rawValue)
    #expect(m.answers.isEmpty)
    #expect(m.authorities.count == 1)
    guard case .soa(let primary, _, let values) = m.authorities[0].data else {
      Issue.record("no SOA")
      return
    }
    #expect(primary == F.domain)
    #expect(values.count == 5 && values[0] == 3 && values[4] == DNSResolver.defaultTTL)
    // Invalid names from the directory are never served.
    #expect(try answer(F.query("name.mesh.internal")).responseCode == 3)
    #expect(try answer(F.query("bad.mesh.internal")).responseCode == 3)
  }

  @Test func existingNamesOfAnotherTypeAreNODATA() throws {
    for (name, type) in [
      ("web.mesh.internal", DNSRecordType.aaaa), ("prod.mesh.internal", .a),
      ("mesh.internal", .a), ("_api._tcp.mesh.internal", .a), ("web.mesh.internal", .txt),
    ] {
      let m = try answer(F.query(name, type))
      #expect(m.responseCode == 0, "\(name) \(type)")
      #expect(m.answers.isEmpty)
      #expect(m.authorities.first?.type == .soa)
    }
    let soa = try answer(F.query("mesh.internal", .soa))
    #expect(soa.answers.first?.type == .soa)
  }

  @Test func srvAnswersBothForms() throws {
    let byService = try answer(F.query("_api._tcp.mesh.internal", .srv))
    let records = byService.answers.compactMap { r -> String? in
      if case .srv(_, _, let port, let target) = r.data { return "\(target):\(port)" }
      return nil
    }
    // The first instance's target is its container's name; the second has none and is
    // found under the service name.
    #expect(
      Set(records)
        == ["web.mesh.internal:80", "web.mesh.internal:443", "api.mesh.internal:443"])
    #expect(byService.additionals.contains { $0.name == DNSName("web.mesh.internal")! })
    #expect(byService.additionals.allSatisfy { $0.type == .a })

    let byPort = try answer(F.query("_443._tcp.API.mesh.internal", .srv))
    #expect(byPort.answers.count == 2)
    let missing = try answer(F.query("_22._tcp.api.mesh.internal", .srv))
    #expect(missing.responseCode == DNSResponseCode.nameError.rawValue)
  }

  @Test func ptrForRegisteredAddressesOthersForwarded() throws {
    let m = try answer(F.query("2.5.47.10.in-addr.arpa", .ptr))
    #expect(m.flags & DNSMessage.aaBit != 0)
    #expect(
      m.answers.map(\.data) == [
        .name(DNSName("web.mesh.internal")!), .name(DNSName("api.mesh.internal")!),
      ])
    var random = SeededRandom(seed: 1)
    #expect(resolver().decide(F.query("9.9.47.10.in-addr.arpa", .ptr), random: &random) == .forward)
    #expect(DNSResolver.reverseAddress(DNSName("4.6.47.10.IN-ADDR.ARPA")!) == DNSResolverTests.db)
    #expect(DNSResolver.reverseAddress(DNSName("256.6.47.10.in-addr.arpa")!) == nil)
    #expect(DNSResolver.reverseAddress(DNSName("6.47.10.in-addr.arpa")!) == nil)
  }

  @Test func forwardingDecisions() throws {
    var random = SeededRandom(seed: 1)
    let r = resolver()
    #expect(r.decide(F.query("example.org"), random: &random) == .forward)
    #expect(r.decide(F.query("mesh.internal.example.org"), random: &random) == .forward)
    #expect(r.decide(F.query("internal"), random: &random) == .forward)
    var response = F.query("web.mesh.internal")
    response.set(DNSMessage.qrBit, true)
    #expect(r.decide(response, random: &random) == .drop)
    var two = F.query("web.mesh.internal")
    two.questions.append(two.questions[0])
    #expect(try answer(two).responseCode == DNSResponseCode.formatError.rawValue)
    var notify = F.query("web.mesh.internal")
    notify.flags |= 4 << 11
    #expect(try answer(notify).responseCode == DNSResponseCode.notImplemented.rawValue)
  }

  @Test func bigAnswersTruncateOverUDPAndFitOverTCP() throws {
    var r = DNSResolver(domain: F.domain)
    let many = (0..<120).map {
      NameEntry(name: "big", kind: .service, address: F.ip(10, 47, 0, UInt32($0)), host: F.host1)
    }
    r.load(many, generation: 1)
    var random = SeededRandom(seed: 2)
    for (edns, limit) in [(nil, 512), (UInt16(4096), 1232)] as [(UInt16?, Int)] {
      let q = F.query("big.mesh.internal", edns: edns)
      guard case .answer(let m) = r.decide(q, random: &random) else {
        Issue.record("no answer")
        return
      }
      let udp = m.serialized(maxSize: q.udpPayloadLimit)
      #expect(udp.count <= limit)
      #expect(try DNSMessage(parsing: udp).isTruncated)
      let tcp = try DNSMessage(parsing: m.serialized())
      #expect(!tcp.isTruncated && tcp.answers.count == 120)
    }
  }

  @Test func reloadsOnlyOnANewGeneration() {
    var r = resolver()
    r.load([], generation: 3)
    var random = SeededRandom(seed: 1)
    guard case .answer(let m) = r.decide(F.query("web.mesh.internal"), random: &random) else {
      Issue.record("no answer")
      return
    }
    #expect(m.answers.count == 1)
    r.load([], generation: 4)
    guard case .answer(let gone) = r.decide(F.query("web.mesh.internal"), random: &random) else {
      Issue.record("no answer")
      return
    }
    #expect(gone.responseCode == DNSResponseCode.nameError.rawValue)
  }
}
