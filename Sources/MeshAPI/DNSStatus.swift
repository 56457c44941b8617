import MeshLogic
import MeshTypes

/// The DNS server's part of `/v1/status` (`"dns"`): where it listens, its domain, and its
/// counters. Absent (null) when the daemon runs with `--no-dns`.
public struct DNSStatus: Sendable, Equatable {
  /// The bridge address the server is bound to; nil while the bridge has none.
  public var address: String?
  /// Why the last bind failed (port 53 held by another server, say); nil once bound.
  public var bindError: String?
  /// The UDP and TCP port.
  public var port: Int
  /// The domain the server is authoritative for.
  public var domain: String
  /// The upstream resolvers other names are forwarded to.
  public var upstreams: [String]
  /// Queries received (UDP datagrams and TCP messages).
  public var queries: UInt64 = 0
  /// Queries answered by the server itself (names of the domain, PTR, errors).
  public var answered: UInt64 = 0
  /// Queries forwarded upstream.
  public var forwarded: UInt64 = 0
  /// Answers that were NXDOMAIN (a subset of `answered`).
  public var nxdomain: UInt64 = 0
  /// Queries dropped by the per-source rate limit.
  public var rateLimited: UInt64 = 0
  /// Messages that did not parse.
  public var malformed: UInt64 = 0
  /// Times the UDP read budget of a window ran out (a flood: the kernel dropped the rest).
  public var budgetPauses: UInt64 = 0
  /// Forwarded queries no upstream answered in time, or that could not be forwarded.
  public var upstreamFailures: UInt64 = 0

  /// Creates a status with zero counters.
  public init(address: String?, port: Int, domain: String, upstreams: [String]) {
    self.address = address
    self.port = port
    self.domain = domain
    self.upstreams = upstreams
  }

  /// Whether Docker's options must wait for this server: it has not failed to bind, and it
  /// does not listen yet, or listens on an address of the IPAM `range` outside this host's
  /// claimed `subnet` (the bridge's address before the claim moved it: containers given that
  /// address would ask a server that is about to leave it).
  public func isPending(subnet: IPv4Network?, range: IPv4Network?) -> Bool {
    if bindError != nil { return false }
    guard let address, let bound = IPv4Network("\(address)/32")?.address else { return true }
    if let range, let subnet, range.contains(bound), !subnet.contains(bound) { return true }
    return false
  }

  /// The JSON object.
  public var json: JSONValue {
    var o = JSONObject()
    o["address"] = address.map { .string($0) } ?? .null
    if let bindError { o["bind_error"] = .string(bindError) }
    o["port"] = .int(port)
    o["domain"] = .string(domain)
    o["upstreams"] = .array(upstreams.map { .string($0) })
    o["queries"] = MeshStatus.count(queries)
    o["answered"] = MeshStatus.count(answered)
    o["forwarded"] = MeshStatus.count(forwarded)
    o["nxdomain"] = MeshStatus.count(nxdomain)
    o["rate_limited"] = MeshStatus.count(rateLimited)
    o["malformed"] = MeshStatus.count(malformed)
    o["upstream_failures"] = MeshStatus.count(upstreamFailures)
    o["budget_pauses"] = MeshStatus.count(budgetPauses)
    return .object(o)
  }

  /// The counters in Prometheus text format, appended to `/metrics`.
  public var prometheus: String {
    var out = "# HELP meshd_dns_queries_total DNS queries, by outcome.\n"
    out += "# TYPE meshd_dns_queries_total counter\n"
    for (outcome, value) in [
      ("received", queries), ("answered", answered), ("forwarded", forwarded),
      ("nxdomain", nxdomain), ("rate_limited", rateLimited), ("malformed", malformed),
      ("upstream_failed", upstreamFailures),
    ] {
      out += "meshd_dns_queries_total{outcome=\"\(outcome)\"} \(value)\n"
    }
    out += "# HELP meshd_dns_budget_pauses_total Times the UDP read budget ran out.\n"
    out += "# TYPE meshd_dns_budget_pauses_total counter\n"
    out += "meshd_dns_budget_pauses_total \(budgetPauses)\n"
    return out
  }

  /// Reads the object written by ``json``; nil for anything else (null included).
  public init?(json: JSONValue) {
    guard case .object = json, let port = json["port"]?.intValue,
      let domain = json["domain"]?.stringValue
    else { return nil }
    var upstreams: [String] = []
    if case .array(let list)? = json["upstreams"] { upstreams = list.compactMap(\.stringValue) }
    self.init(
      address: json["address"]?.stringValue, port: port, domain: domain, upstreams: upstreams)
    bindError = json["bind_error"]?.stringValue
    func count(_ key: String) -> UInt64 { UInt64(max(0, json[key]?.intValue ?? 0)) }
    queries = count("queries")
    answered = count("answered")
    forwarded = count("forwarded")
    nxdomain = count("nxdomain")
    rateLimited = count("rate_limited")
    malformed = count("malformed")
    upstreamFailures = count("upstream_failures")
    budgetPauses = count("budget_pauses")
  }
}
