import MeshAPI
import Testing

@Suite struct DNSStatusTests {
  @Test func jsonRoundTripsAndMetricsListEveryCounter() throws {
    var s = DNSStatus(
      address: "10.47.0.1", port: 53, domain: "mesh.internal", upstreams: ["192.0.2.53:53"])
    (s.queries, s.answered, s.forwarded, s.nxdomain) = (10, 6, 3, 2)
    (s.rateLimited, s.malformed, s.upstreamFailures, s.budgetPauses) = (4, 1, 1, 2)
    let text = s.json.serialized()
    #expect(DNSStatus(json: try JSONValue.parse(Array(text.utf8))) == s)
    #expect(DNSStatus(json: .null) == nil)
    let metrics = s.prometheus
    #expect(metrics.contains("meshd_dns_queries_total{outcome=\"rate_limited\"} 4\n"))
    #expect(metrics.contains("meshd_dns_queries_total{outcome=\"received\"} 10\n"))
    #expect(metrics.contains("meshd_dns_budget_pauses_total 2\n"))
    #expect(metrics.split(separator: "\n").count == 12)
  }
}
