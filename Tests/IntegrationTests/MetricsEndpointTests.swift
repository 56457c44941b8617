import Foundation
import Testing

extension MeshIntegration {
  /// `--metrics-listen`: Prometheus scrapes `/metrics` over TCP, and the page parses with
  /// Prometheus' own Python parser (`prometheus_client`, Debian's python3-prometheus-client).
  @Suite("Metrics endpoint")
  struct MetricsEndpointTests {
    /// Scrapes `url` from `namespace` with Python and parses the page with
    /// `prometheus_client.parser.text_string_to_metric_families`; prints one line per
    /// sample, `name<TAB>labels as JSON<TAB>value`, and the families' types as `#TYPE name type`.
    static let scraper = """
      import json, sys, urllib.request
      from prometheus_client.parser import text_string_to_metric_families
      with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
          ctype = r.headers.get("Content-Type")
          text = r.read().decode()
      print("#CTYPE " + ctype)
      for f in text_string_to_metric_families(text):
          print("#TYPE " + f.name + " " + f.type)
          for s in f.samples:
              print(s.name + "\\t" + json.dumps(s.labels, sort_keys=True) + "\\t" + repr(s.value))
      """

    struct Sample {
      var name: String
      var labels: [String: String]
      var value: Double
    }

    @Test("a scrape over TCP parses with prometheus_client and has the families")
    func scrapeParses() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      let metricsAddress = "\(a.underlayIP):9477"
      try net.startMeshd(
        on: a, peers: [b], secret: secret,
        extraArguments: ["--metrics-listen", metricsAddress, "--nickname", "alpha"])
      try net.startMeshd(on: b, secret: secret, extraArguments: ["--nickname", "beta"])
      try await net.requirePing(from: a, to: b.overlayIP)

      // Scraped from the other host, over the underlay: a real TCP client.
      let result = try b.run(
        [
          SocketProbe.python, "-c", MetricsEndpointTests.scraper,
          "http://\(metricsAddress)/metrics",
        ],
        timeout: 20)
      try #require(result.succeeded, "the scrape or the parse failed: \(result)")
      var types: [String: String] = [:]
      var samples: [Sample] = []
      var contentType = ""
      for line in result.stdout.split(separator: "\n").map(String.init) {
        if line.hasPrefix("#CTYPE ") { contentType = String(line.dropFirst(7)) }
        if line.hasPrefix("#TYPE ") {
          let parts = line.split(separator: " ")
          types[String(parts[1])] = String(parts[2])
          continue
        }
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 3,
          let labels = try? JSONSerialization.jsonObject(with: Data(fields[1].utf8))
            as? [String: String],
          let value = Double(fields[2])
        else { continue }
        samples.append(Sample(name: String(fields[0]), labels: labels, value: value))
      }
      #expect(contentType.hasPrefix("text/plain; version=0.0.4"))
      func sample(_ name: String, _ label: (String, String)? = nil) -> Sample? {
        samples.first { s in s.name == name && (label.map { s.labels[$0.0] == $0.1 } ?? true) }
      }
      // The parser strips `_total` from counter family names; samples keep it.
      #expect(types["meshd_peer_rx_bytes"] == "counter")
      #expect(types["meshd_drops"] == "counter")
      #expect(types["meshd_peer_up"] == "gauge")
      #expect(types["meshd_build_info"] == "gauge" || types["meshd_build"] == "info")
      #expect(sample("meshd_build_info")?.labels["version"]?.isEmpty == false)
      #expect(sample("meshd_peer_up", ("nickname", "beta"))?.value == 1)
      #expect((sample("meshd_peer_last_handshake_seconds", ("nickname", "beta"))?.value ?? -1) >= 0)
      #expect((sample("meshd_peer_rx_bytes_total", ("nickname", "beta"))?.value ?? 0) > 0)
      #expect(sample("meshd_peer_handshakes_total", ("nickname", "beta"))?.value ?? 0 >= 1)
      let path = sample("meshd_member_path", ("nickname", "beta"))
      #expect(path?.labels["path"] == "direct" && path?.value == 1)
      #expect(sample("meshd_members")?.value == 2)
      #expect(sample("meshd_drops_total", ("reason", "mac1")) != nil)

      // Another path is 404; the control socket's /metrics is the same page.
      let other = try b.run(
        [
          "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
          "http://\(metricsAddress)/v1/status",
        ],
        timeout: 10)
      #expect(other.stdout == "404", "GET /v1/status on the metrics port: \(other)")
    }

    @Test("idle and trickling clients do not hold up a scrape")
    func idleClientsDoNotBlock() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      let address = "\(a.underlayIP):9477"
      try net.startMeshd(
        on: a, peers: [b], secret: secret, extraArguments: ["--metrics-listen", address])
      try net.startMeshd(on: b, secret: secret)
      try await net.requirePing(from: a, to: b.overlayIP)
      // 40 connections that send half a request and wait (more than the server keeps open),
      // then a scrape, which must be answered at once and in full.
      let script = """
        import socket, sys, time, urllib.request
        host, port = sys.argv[1].rsplit(":", 1)
        idle = []
        for i in range(40):
            s = socket.create_connection((host, int(port)), timeout=5)
            s.send(b"GET /metr")
            idle.append(s)
        start = time.monotonic()
        with urllib.request.urlopen("http://" + sys.argv[1] + "/metrics", timeout=5) as r:
            body = r.read().decode()
        print("ok" if "meshd_build_info" in body else "bad", round(time.monotonic() - start, 3))
        """
      let result = try b.run([SocketProbe.python, "-c", script, address], timeout: 30)
      #expect(result.stdout.hasPrefix("ok"), "the scrape behind idle clients failed: \(result)")
    }

    @Test("without --metrics-listen nothing listens on TCP")
    func offByDefault() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, _) = try await net.startPair()
      let listening = try a.run(["ss", "-Hltn"], timeout: 10)
      #expect(listening.succeeded)
      // The DNS server's TCP port 53 on the bridge address is the only TCP listener.
      let others = listening.stdout.split(separator: "\n").filter { !$0.contains(":53 ") }
      #expect(others.isEmpty, "meshd listens on TCP without --metrics-listen: \(others)")
    }
  }
}
