import MeshCore
import Testing

@Suite struct DNSCodecTests {
  @Test func parsesAQueryAndKeepsItsCase() throws {
    let bytes =
      DNSFixture.header(id: 0x1234) + DNSFixture.wireName(["Web", "MESH", "internal"]) + [
        0, 1, 0, 1,
      ]
    let m = try DNSMessage(parsing: bytes)
    #expect(m.id == 0x1234)
    #expect(!m.isResponse)
    #expect(m.flags & DNSMessage.rdBit != 0)
    #expect(m.questions == [DNSQuestion(name: DNSName("web.mesh.internal")!, type: .a)])
    #expect(m.questions[0].name.labels[0] == Array("Web".utf8))
    #expect(m.questions[0].name.description == "Web.MESH.internal")
    #expect(m.udpPayloadLimit == 512)
  }

  @Test func namesCompareIgnoringCaseOnly() {
    #expect(DNSName("WEB.Mesh.Internal.") == DNSName("web.mesh.internal"))
    #expect(DNSName("web.mesh.internal")!.hashValue == DNSName("WEB.MESH.INTERNAL")!.hashValue)
    #expect(DNSName("web1.mesh.internal") != DNSName("web.mesh.internal"))
    #expect(DNSName("a.web.mesh.internal")!.isSubdomain(of: DNSFixture.domain))
    #expect(!DNSName("webmesh.internal")!.isSubdomain(of: DNSFixture.domain))
    #expect(DNSName("a..b") == nil)
    #expect(DNSName(".")!.labels.isEmpty)
  }

  @Test func nameBuilderEnforcesTheBounds() {
    let label63 = String(repeating: "a", count: 63)
    #expect(DNSName(label63) != nil)
    #expect(DNSName(label63 + "a") == nil)
    // 3 x 64 + 62 + 1 = 255 bytes on the wire: the longest name; one more byte is too long.
    let longest = [label63, label63, label63, String(repeating: "b", count: 61)].joined(
      separator: ".")
    #expect(DNSName(longest)?.wireLength == 255)
    #expect(DNSName(longest + "b") == nil)
  }

  @Test func writesWithCompressionIgnoringCase() throws {
    var m = DNSMessage(answering: DNSFixture.query("web.MESH.internal"))
    m.answers = [
      DNSRecord(name: DNSName("WEB.mesh.INTERNAL")!, type: .a, ttl: 5, data: .a(0x0A00_0001)),
      DNSRecord(name: DNSName("web.mesh.internal")!, type: .a, ttl: 5, data: .a(0x0A00_0002)),
      DNSRecord(
        name: DNSName("db.mesh.internal")!, type: .ptr, ttl: 5,
        data: .name(DNSName("web.mesh.internal")!)),
    ]
    let bytes = m.serialized()
    // The question's name sits at offset 12; both A owners point at it.
    let question = 12 + DNSFixture.wireName(["web", "MESH", "internal"]).count + 4
    #expect(Array(bytes[question..<(question + 2)]) == [0xC0, 0x0C])
    let second = question + 2 + 10 + 4
    #expect(Array(bytes[second..<(second + 2)]) == [0xC0, 0x0C])
    // `db` + a pointer to `mesh.internal` (offset 16), and the PTR data is one pointer.
    let third = second + 2 + 10 + 4
    #expect(Array(bytes[third..<(third + 5)]) == [2, 0x64, 0x62, 0xC0, 0x10])
    #expect(Array(bytes.suffix(2)) == [0xC0, 0x0C])
    let back = try DNSMessage(parsing: bytes)
    #expect(back.answers == m.answers)
    #expect(back.isResponse)
  }

  @Test func typedRecordsRoundTrip() throws {
    var m = DNSMessage(answering: DNSFixture.query("_web._tcp.mesh.internal", .srv, edns: 4096))
    m.answers = [
      DNSRecord(
        name: DNSName("_web._tcp.mesh.internal")!, type: .srv, ttl: 5,
        data: .srv(priority: 1, weight: 2, port: 8080, target: DNSName("web.mesh.internal")!))
    ]
    m.authorities = [
      DNSRecord(
        name: DNSFixture.domain, type: .soa, ttl: 5,
        data: .soa(
          primary: DNSFixture.domain, mailbox: DNSName("hostmaster.mesh.internal")!,
          values: [1, 2, 3, 4, 5]))
    ]
    m.additionals = [
      .opt(udpSize: 1232),
      DNSRecord(name: DNSFixture.domain, type: .txt, ttl: 9, data: .raw([3, 0x61, 0x62, 0x63])),
    ]
    let back = try DNSMessage(parsing: m.serialized())
    #expect(back.answers == m.answers)
    #expect(back.authorities == m.authorities)
    // OPT goes last.
    #expect(back.additionals == [m.additionals[1], m.additionals[0]])
    #expect(back.udpPayloadLimit == 1232)
  }

  @Test func refusesOverlongLabelsAndNames() {
    var label = DNSFixture.header()
    label += [64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1]
    #expect(throws: DNSParseError.labelTooLong) { try DNSMessage(parsing: label) }
    var long = DNSFixture.header()
    for _ in 0..<5 { long += [63] + [UInt8](repeating: 0x61, count: 63) }
    long += [0, 0, 1, 0, 1]
    #expect(throws: DNSParseError.nameTooLong) { try DNSMessage(parsing: long) }
  }

  @Test func refusesPointerLoopsForwardPointersAndLongChains() throws {
    // A pointer to itself.
    let selfLoop = DNSFixture.header() + [0xC0, 12, 0, 1, 0, 1]
    #expect(throws: DNSParseError.badPointer) { try DNSMessage(parsing: selfLoop) }
    // A label, then a pointer back to that label: a loop through a backward pointer.
    let loop = DNSFixture.header() + [1, 0x61, 0xC0, 12, 0, 1, 0, 1]
    #expect(throws: DNSParseError.badPointer) { try DNSMessage(parsing: loop) }
    // A forward pointer, and one past the end.
    let forward = DNSFixture.header() + [0xC0, 16, 0, 1, 0, 1, 0]
    #expect(throws: DNSParseError.badPointer) { try DNSMessage(parsing: forward) }
    let past = DNSFixture.header() + [0xFF, 0xFF, 0, 1, 0, 1]
    #expect(throws: DNSParseError.badPointer) { try DNSMessage(parsing: past) }
    // Records whose names are pointers to the previous record's name: every jump goes
    // backwards, but record n's name takes n jumps, and past 32 that is too many.
    func chain(_ records: Int) -> [UInt8] {
      var bytes = DNSFixture.header(qd: 1, an: UInt16(records)) + [1, 0x61, 0, 0, 16, 0, 1]
      var previous = 12
      for _ in 0..<records {
        let here = bytes.count
        bytes += [
          0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF), 0, 16, 0, 1, 0, 0, 0, 5, 0, 0,
        ]
        previous = here
      }
      return bytes
    }
    #expect(try DNSMessage(parsing: chain(DNSLimits.maxPointers)).answers.count == 32)
    #expect(throws: DNSParseError.badPointer) {
      try DNSMessage(parsing: chain(DNSLimits.maxPointers + 1))
    }
  }

  @Test func refusesASecondOPTAndOneOutsideTheAdditionals() throws {
    var two = DNSMessage(id: 1, flags: 0)
    two.questions = [DNSQuestion(name: DNSFixture.domain, type: .a, recordClass: 1)]
    two.additionals = [.opt(udpSize: 1232)]
    #expect(try DNSMessage(parsing: two.serialized()).additionals.count == 1)
    // The writer keeps one OPT; a second is spliced in by hand: header's ARCOUNT 2.
    var bytes = two.serialized()
    bytes[11] = 2
    bytes += bytes.suffix(11)
    #expect(throws: DNSParseError.badOPT) { try DNSMessage(parsing: bytes) }
    var answered = DNSMessage(id: 2, flags: 0)
    answered.answers = [.opt(udpSize: 512)]
    #expect(throws: DNSParseError.badOPT) { try DNSMessage(parsing: answered.serialized()) }
  }

  @Test func refusesCountsTheMessageCannotHold() {
    let many = DNSFixture.header(qd: 1, an: 600) + DNSFixture.wireName(["a"]) + [0, 1, 0, 1]
    #expect(throws: DNSParseError.tooManyRecords) { try DNSMessage(parsing: many) }
    let short = DNSFixture.header(qd: 1, an: 100) + DNSFixture.wireName(["a"]) + [0, 1, 0, 1]
    #expect(throws: DNSParseError.truncated) { try DNSMessage(parsing: short) }
    let questions = DNSFixture.header(qd: 9)
    #expect(throws: DNSParseError.tooManyRecords) { try DNSMessage(parsing: questions) }
  }

  @Test func badRecordDataIsRefused() {
    // An A record of 5 bytes.
    let bytes =
      DNSFixture.header(flags: 0x8180, qd: 0, an: 1) + [0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 5]
      + [1, 2, 3, 4, 5]
    #expect(throws: DNSParseError.badRecordData) { try DNSMessage(parsing: bytes) }
    // A PTR whose name runs past its declared length.
    let ptr =
      DNSFixture.header(flags: 0x8180, qd: 0, an: 1) + [0, 0, 12, 0, 1, 0, 0, 0, 5, 0, 1]
      + [1, 0x61, 0]
    #expect(throws: DNSParseError.badRecordData) { try DNSMessage(parsing: ptr) }
  }

  @Test func everyPrefixAndRandomBytesThrowOrParseWithoutTrapping() throws {
    var m = DNSMessage(answering: DNSFixture.query("web.mesh.internal", edns: 1232))
    m.answers = (0..<5).map {
      DNSRecord(name: DNSName("web.mesh.internal")!, type: .a, ttl: 5, data: .a(UInt32($0)))
    }
    let bytes = m.serialized()
    for n in 0..<bytes.count {
      #expect(throws: DNSParseError.self) { try DNSMessage(parsing: Array(bytes.prefix(n))) }
    }
    var random = SeededRandom(seed: 5)
    var parsed = 0
    for _ in 0..<5000 {
      var input = bytes
      for _ in 0..<4 {
        let at = Int(random.next64() % UInt64(input.count))
        input[at] = UInt8(truncatingIfNeeded: random.next64())
      }
      if (try? DNSMessage(parsing: input)) != nil { parsed += 1 }
    }
    #expect(parsed > 0)
  }

  @Test func truncatesToTheLimitSettingTCAndKeepingOPT() throws {
    var m = DNSMessage(answering: DNSFixture.query("big.mesh.internal", edns: 1232))
    m.answers = (0..<100).map {
      DNSRecord(name: DNSName("big.mesh.internal")!, type: .a, ttl: 5, data: .a(UInt32($0)))
    }
    m.additionals = [.opt(udpSize: 1232)]
    let small = m.serialized(maxSize: 512)
    #expect(small.count <= 512)
    let back = try DNSMessage(parsing: small)
    #expect(back.isTruncated)
    #expect(back.answers.count == (512 - 12 - 23 - 11) / 16)
    #expect(back.ednsRecord != nil)
    let whole = try DNSMessage(parsing: m.serialized())
    #expect(!whole.isTruncated)
    #expect(whole.answers.count == 100)
  }

  @Test func additionalRecordsThatDoNotFitAreLeftOutWithoutTC() throws {
    var m = DNSMessage(answering: DNSFixture.query("a.mesh.internal"))
    m.answers = [DNSRecord(name: DNSName("a.mesh.internal")!, type: .a, ttl: 5, data: .a(1))]
    m.additionals = (0..<60).map {
      DNSRecord(name: DNSName("x\($0).mesh.internal")!, type: .a, ttl: 5, data: .a(UInt32($0)))
    }
    let back = try DNSMessage(parsing: m.serialized(maxSize: 512))
    #expect(!back.isTruncated)
    #expect(back.answers.count == 1)
    #expect(back.additionals.count < 60)
  }
}
