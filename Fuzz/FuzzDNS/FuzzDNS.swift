// libFuzzer harness for the DNS message codec and the resolver.
//
// The input is parsed as one DNS message. Whatever it is, parsing must throw or succeed,
// never trap. A message that parses is written again (with compression) and must parse back
// to the same message, unless writing had to truncate it; it is then handed to a resolver
// with a few names, whose answer is written at the size the query asks for and must parse
// and fit. The bytes also go to a forwarder as an upstream's answer.
import MeshCore

/// A fixed random stream, so every run of an input behaves the same.
struct FuzzRandom: RandomSource {
  var state: UInt64 = 0x9E37_79B9
  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for i in 0..<buffer.count {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      buffer[i] = UInt8(truncatingIfNeeded: state >> 33)
    }
  }
}

/// The resolver and forwarder every input meets, built once.
struct Fixture {
  var resolver: DNSResolver
  var forwarder: DNSForwarder
  var random = FuzzRandom()

  init() {
    let host = PeerID(rawValue: 7)
    let entries = [
      NameEntry(name: "web", kind: .container, address: 0x0A2F_0502, ports: [80], host: host),
      NameEntry(name: "api", kind: .service, address: 0x0A2F_0502, ports: [80, 443], host: host),
      NameEntry(name: "api", kind: .service, address: 0x0A2F_0603, ports: [443], host: host),
      NameEntry(name: "db.prod", kind: .manual, address: 0x0A2F_0604, host: host),
    ]
    resolver = DNSResolver(domain: DNSName("mesh.internal")!)
    resolver.load(entries, generation: 1)
    forwarder = DNSForwarder(upstreams: [Endpoint("192.0.2.53:53")!])
  }
}

nonisolated(unsafe) var fixture = Fixture()

/// The additional records with OPT moved last, as the writer puts them.
func optLast(_ records: [DNSRecord]) -> [DNSRecord] {
  records.filter { $0.type != .opt } + records.filter { $0.type == .opt }
}

/// libFuzzer's entry point: one input, parsed, written again, answered.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = fixture.forwarder.answer(bytes, from: Endpoint("192.0.2.53:53")!)
  guard let message = try? DNSMessage(parsing: bytes) else { return 0 }

  let written = message.serialized()
  precondition(written.count <= DNSLimits.maxMessage)
  guard let back = try? DNSMessage(parsing: written) else {
    preconditionFailure("a written message does not parse")
  }
  if !back.isTruncated || message.isTruncated {
    precondition(back.questions == message.questions)
    precondition(back.answers == message.answers)
    precondition(back.authorities == message.authorities)
    precondition(back.additionals == optLast(message.additionals))
  }

  if case .answer(let reply) = fixture.resolver.decide(message, random: &fixture.random) {
    let limit = message.udpPayloadLimit
    let out = reply.serialized(maxSize: limit)
    precondition(out.count <= limit)
    guard let parsed = try? DNSMessage(parsing: out) else {
      preconditionFailure("an answer does not parse")
    }
    precondition(parsed.id == message.id && parsed.isResponse)
  }
  return 0
}
