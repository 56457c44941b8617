import MeshProtocol
import MeshTypes

/// Answers DNS queries for the mesh's names: authoritative for the mesh domain (A, SRV, SOA,
/// NXDOMAIN and NODATA), PTR for the registered addresses, and "forward" for everything else.
///
/// A pure value type: it holds an index of the ``NameEntry`` list, rebuilt by ``load(_:generation:)``
/// when the directory's generation changes, and shuffles with injected randomness.
///
/// ```swift
/// var resolver = DNSResolver(domain: DNSName("mesh.internal")!)
/// resolver.load(entries, generation: 7)
/// switch resolver.decide(query, random: &random) {
/// case .answer(let m): send(m.serialized(maxSize: query.udpPayloadLimit))
/// case .forward: forwarder.forward(...)
/// case .drop: break
/// }
/// ```
public struct DNSResolver: Sendable {
  /// The TTL of every answer, in seconds: short, so a stopped container's name is forgotten
  /// by caches as quickly as the mesh forgets it.
  public static let defaultTTL: UInt32 = 5
  /// The SOA refresh, retry and expire values (secondaries are not expected; informative).
  static let soaTimers: [UInt32] = [60, 10, 600]

  /// The domain this resolver is authoritative for.
  public let domain: DNSName
  /// The TTL of answers and of negative answers (the SOA minimum).
  public var ttl: UInt32
  /// The directory generation the index was built from; nil before the first load.
  public private(set) var generation: UInt64?
  var zone = DNSZone()

  /// Creates a resolver for `domain` with no names yet.
  public init(domain: DNSName, ttl: UInt32 = DNSResolver.defaultTTL) {
    self.domain = domain.lowercased
    self.ttl = ttl
  }

  /// Rebuilds the index from `entries` unless `generation` is the one already loaded.
  public mutating func load(_ entries: [NameEntry], generation: UInt64) {
    guard generation != self.generation else { return }
    zone = DNSZone(entries: entries, domain: domain)
    self.generation = generation
  }

  /// Decides what to do with a parsed message.
  public func decide<R: RandomSource>(_ query: DNSMessage, random: inout R) -> DNSDecision {
    guard !query.isResponse else { return .drop }
    var reply = DNSMessage(answering: query)
    reply.set(DNSMessage.raBit, true)
    if query.ednsRecord != nil {
      reply.additionals = [.opt(udpSize: UInt16(DNSLimits.maxEDNSUDPSize))]
    }
    guard query.opcode == 0 else {
      if query.questions.count != 1 { reply.questions = [] }
      reply.responseCode = DNSResponseCode.notImplemented.rawValue
      return .answer(reply)
    }
    guard query.questions.count == 1 else {
      reply.questions = []
      reply.responseCode = DNSResponseCode.formatError.rawValue
      return .answer(reply)
    }
    let q = query.questions[0]
    if q.name.isSubdomain(of: domain) {
      authoritative(q, into: &reply, random: &random)
      return .answer(reply)
    }
    if let address = DNSResolver.reverseAddress(q.name), let names = zone.reverse[address] {
      reply.set(DNSMessage.aaBit, true)
      if q.type == .ptr || q.type == .any {
        reply.answers = names.map {
          DNSRecord(name: q.name, type: .ptr, ttl: ttl, data: .name($0))
        }
      }
      return .answer(reply)
    }
    return .forward
  }

  func authoritative<R: RandomSource>(
    _ q: DNSQuestion, into reply: inout DNSMessage, random: inout R
  ) {
    reply.set(DNSMessage.aaBit, true)
    guard q.recordClass == DNSQuestion.classIN || q.recordClass == 255 else {
      reply.responseCode = DNSResponseCode.refused.rawValue
      return
    }
    let relative = DNSName(checkedLabels: q.name.relative(to: domain)).lowercased
    let wantsAll = q.type == .any
    if relative.labels.isEmpty {
      if q.type == .soa || wantsAll { reply.answers = [soa] } else { reply.authorities = [soa] }
      return
    }
    if q.type == .srv || wantsAll, let targets = zone.services[relative] {
      var shuffled = targets
      DNSResolver.shuffle(&shuffled, random: &random)
      reply.answers += shuffled.map {
        DNSRecord(
          name: q.name, type: .srv, ttl: ttl,
          data: .srv(priority: 0, weight: 0, port: $0.port, target: $0.target))
      }
      var glue: [DNSName: [UInt32]] = [:]
      for t in targets where !glue[t.target, default: []].contains(t.address) {
        glue[t.target, default: []].append(t.address)
      }
      for t in shuffled {
        guard let addresses = glue.removeValue(forKey: t.target) else { continue }
        reply.additionals.insert(
          contentsOf: addresses.map { DNSRecord(name: t.target, type: .a, ttl: ttl, data: .a($0)) },
          at: reply.additionals.count - (reply.additionals.last?.type == .opt ? 1 : 0))
      }
    }
    if q.type == .a || wantsAll, let addresses = zone.addresses[relative] {
      var shuffled = addresses
      DNSResolver.shuffle(&shuffled, random: &random)
      reply.answers += shuffled.map { DNSRecord(name: q.name, type: .a, ttl: ttl, data: .a($0)) }
    }
    guard reply.answers.isEmpty else { return }
    // NODATA for a name that exists, NXDOMAIN for one that does not: both carry the SOA, whose
    // minimum tells caches how long to remember the negative answer (RFC 2308).
    if !zone.exists(relative) {
      reply.responseCode = DNSResponseCode.nameError.rawValue
    }
    reply.authorities = [soa]
  }

  /// The zone's SOA record; the serial is the directory generation.
  var soa: DNSRecord {
    let mailbox = DNSName(labels: [Array("hostmaster".utf8)] + domain.labels) ?? domain
    return DNSRecord(
      name: domain, type: .soa, ttl: ttl,
      data: .soa(
        primary: domain, mailbox: mailbox,
        values: [UInt32(truncatingIfNeeded: generation ?? 0)] + DNSResolver.soaTimers + [ttl]))
  }

  /// The IPv4 address of a reverse name `d.c.b.a.in-addr.arpa`, or nil.
  public static func reverseAddress(_ name: DNSName) -> UInt32? {
    guard name.labels.count == 6, name.isSubdomain(of: DNSName("in-addr.arpa")!) else {
      return nil
    }
    var address: UInt32 = 0
    for label in name.labels.prefix(4).reversed() {
      guard (1...3).contains(label.count), label.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
        let octet = UInt8(String(decoding: label, as: UTF8.self))
      else { return nil }
      address = address << 8 | UInt32(octet)
    }
    return address
  }

  /// Fisher-Yates with the injected randomness.
  static func shuffle<T, R: RandomSource>(_ items: inout [T], random: inout R) {
    guard items.count > 1 else { return }
    for i in stride(from: items.count - 1, to: 0, by: -1) {
      let j = Int(random.next32() % UInt32(i + 1))
      items.swapAt(i, j)
    }
  }
}
