import MeshTypes
import Testing

/// How endpoints print: IPv6 in RFC 5952's canonical form, and what prints parses back.
@Suite("Types: endpoint text")
struct EndpointTextTests {
  @Test(
    "IPv6 addresses print compressed, lowercase, the longest zero run (the first of equals)",
    arguments: [
      ("[2001:db8:0:0:0:0:0:1]:6786", "[2001:db8::1]:6786"),
      ("[::]:6786", "[::]:6786"),
      ("[::1]:1", "[::1]:1"),
      ("[fe80::]:2", "[fe80::]:2"),
      ("[2001:DB8:0:0:1:0:0:1]:3", "[2001:db8::1:0:0:1]:3"),
      ("[2001:db8:0:1:1:1:1:1]:4", "[2001:db8:0:1:1:1:1:1]:4"),
      ("[1:0:0:2:0:0:0:3]:5", "[1:0:0:2::3]:5"),
      ("[fd00:ab:0:0:0:0:0:0]:6", "[fd00:ab::]:6"),
      ("192.0.2.1:6786", "192.0.2.1:6786"),
    ])
  func canonicalText(input: String, printed: String) throws {
    let endpoint = try #require(Endpoint(input))
    #expect(endpoint.description == printed)
    #expect(Endpoint(printed) == endpoint, "what prints parses back")
  }
}
