import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshLogic
@testable import MeshTypes

/// The `/metrics` page: Prometheus naming (prefix, units, `_total` counters), one HELP and
/// TYPE per family, per-peer and per-member families, IPAM figures and build info. (The
/// integration test parses a scraped page with Prometheus' own parser.)
@Suite("Metrics exposition")
struct MetricsExpositionTests {
  static var status: MeshStatus {
    var s = StatusFixtures.status
    s.peers[0].roundTrip = 0.0015
    s.peers[0].attempts = 0
    s.peers[0].pathMTU = 1500
    s.peers[0].nickname = "host \"b\"\n"
    s.ipam = MeshStatus.IPAMUsage(
      range: IPv4Network("10.47.0.0/16")!, subnetSize: 24, total: 256, used: 2)
    s.departed = [MeshStatus.Member(id: PeerID(rawValue: 0xd4), nickname: "gone")]
    s.routes[1].viaNickname = "host-b"
    return s
  }

  static var page: String { MetricsExposition.render(status, version: "1.2.3") }

  /// The sample lines (not comments), split into name with labels and value.
  static var samples: [(series: String, value: String)] {
    page.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let i = line.lastIndex(of: " ")!
      return (String(line[..<i]), String(line[line.index(after: i)...]))
    }
  }

  @Test func everyFamilyHasOneHelpAndTypeAndFollowsTheNamingRules() {
    var types: [String: String] = [:]
    for line in MetricsExpositionTests.page.split(separator: "\n") where line.hasPrefix("# TYPE ") {
      let parts = line.split(separator: " ")
      #expect(types[String(parts[2])] == nil, "two TYPE lines for \(parts[2])")
      types[String(parts[2])] = String(parts[3])
    }
    #expect(types.count >= 20)
    for (name, type) in types {
      #expect(name.hasPrefix("meshd_"), "\(name)")
      #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name)")
      #expect((type == "counter") == name.hasSuffix("_total"), "\(name) is a \(type)")
      #expect(MetricsExpositionTests.page.contains("# HELP \(name) "))
    }
    for (series, _) in MetricsExpositionTests.samples {
      let name = String(series.prefix { $0 != "{" })
      #expect(types[name] != nil, "sample \(series) has no family")
    }
  }

  @Test func theFiguresAnOperatorAsksFor() {
    let page = MetricsExpositionTests.page
    let peer = "peer=\"\(StatusFixtures.b)\",nickname=\"host \\\"b\\\"\\n\""
    #expect(page.contains("meshd_build_info{version=\"1.2.3\"} 1\n"))
    #expect(page.contains("meshd_peer_up{\(peer)} 1\n"))
    #expect(page.contains("meshd_peer_last_handshake_seconds{\(peer)} 185\n"))
    #expect(page.contains("meshd_peer_round_trip_seconds{\(peer)} 0.0015\n"))
    #expect(page.contains("meshd_peer_rx_bytes_total{\(peer)} 1024\n"))
    #expect(page.contains("meshd_peer_tx_bytes_total{\(peer)} 2048\n"))
    #expect(page.contains("meshd_peer_drops_total{\(peer),reason=\"mac1\"} 3\n"))
    #expect(page.contains("meshd_peer_path_mtu_bytes{\(peer)} 1500\n"))
    #expect(page.contains("meshd_ipam_subnets_used{range=\"10.47.0.0/16\"} 2\n"))
    #expect(page.contains("meshd_ipam_subnets_free{range=\"10.47.0.0/16\"} 254\n"))
    #expect(page.contains("meshd_members 3\n"))
    #expect(page.contains("meshd_departed_members 1\n"))
    #expect(
      page.contains(
        "meshd_member_path{peer=\"\(StatusFixtures.b)\",nickname=\"host-b\",path=\"direct\",via=\"\"} 1\n"
      ))
    #expect(
      page.contains(
        "meshd_member_path{peer=\"\(StatusFixtures.c)\",nickname=\"host-c\",path=\"relayed\",via=\"host-b\"} 1\n"
      ))
    #expect(
      page.contains("meshd_member_hops{peer=\"\(StatusFixtures.c)\",nickname=\"host-c\"} 2\n"))
    #expect(page.contains("meshd_drops_total{reason=\"mac1\"} 5\n"))
    // A dial has no ID: it is counted in meshd_peers, not given per-peer series.
    #expect(page.contains("meshd_peers 2\n"))
    #expect(!page.contains("peer=\"nil\""))
  }

  /// Whether a relay can read a member's frames is an alert an operator sets up: the relayed
  /// member gets 1 once its frames go end to end, 0 while hop by hop; direct members get no
  /// series. The host's forwarded datagrams are a counter.
  @Test func endToEndRelayingAndForwardedDatagrams() {
    var s = MetricsExpositionTests.status
    s.forwardedDatagrams = 321
    let c = "{peer=\"\(StatusFixtures.c)\",nickname=\"host-c\"}"
    let b = "{peer=\"\(StatusFixtures.b)\",nickname=\"host-b\"}"
    var page = MetricsExposition.render(s, version: "x")
    #expect(page.contains("meshd_forwarded_datagrams_total 321\n"))
    #expect(page.contains("meshd_member_end_to_end\(c) 0\n"))
    #expect(!page.contains("meshd_member_end_to_end\(b)"))
    s.routes[1].isEndToEnd = true
    page = MetricsExposition.render(s, version: "x")
    #expect(page.contains("meshd_member_end_to_end\(c) 1\n"))
  }

  @Test func noIPAMNoIPAMFamilies() {
    var s = MetricsExpositionTests.status
    s.ipam = nil
    #expect(!MetricsExposition.render(s, version: "x").contains("meshd_ipam"))
  }

  @Test func numbersAreWrittenAsTheFormatWants() {
    #expect(MetricsExposition.number(3) == "3")
    #expect(MetricsExposition.number(0.25) == "0.25")
    #expect(MetricsExposition.number(.nan) == "NaN")
    #expect(MetricsExposition.number(.infinity) == "+Inf")
    #expect(MetricsExposition.number(Double(UInt64.max)) == "1.8446744073709552e+19")
  }
}
