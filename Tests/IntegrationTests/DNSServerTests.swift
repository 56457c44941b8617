import Foundation
import MeshAPI
import Testing

extension MeshIntegration {
  /// The DNS server on the bridge address: authoritative answers for the mesh domain,
  /// forwarding to an upstream, TCP, truncation with TCP fallback, the rate limit, malformed
  /// input, and silence on the underlay. Queries come from a real client (`dig`).
  @Suite("DNS server")
  struct DNSServerTests {
    /// Where the stand-in upstream resolver listens (on host 2's underlay address).
    static let upstreamPort = 5300

    /// Runs `dig` in `host` against `server` with one try and a short timeout.
    static func dig(
      _ host: NetnsHost, _ server: String, _ arguments: [String]
    ) throws -> String {
      let result = try host.run(
        ["dig", "@\(server)", "+tries=1", "+time=2"] + arguments, timeout: 20)
      return result.stdout + result.stderr
    }

    /// The `dns` object of the daemon's status.
    static func dnsStatus(_ net: TestNetwork, _ host: NetnsHost) throws -> DNSStatus? {
      guard let daemon = net.meshd(on: host) else { return nil }
      let meshd = try IntegrationEnvironment.meshdBinary()
      let result = try host.run(
        [meshd, "status", "--json", "--socket", daemon.socket.path], timeout: 10)
      let json = try JSONValue.parse(Array(result.stdout.utf8))
      return json["dns"].flatMap(DNSStatus.init(json:))
    }

    /// Two hosts: A runs DNS with the test upstream, B runs with `--no-dns`.
    static func start(_ net: TestNetwork) async throws -> (NetnsHost, NetnsHost, URL) {
      let (a, b) = (net.host(1), net.host(2))
      let tool = try DNSTool.install(in: net.workDirectory)
      let upstream = try net.spawn(
        in: b, name: "dns-upstream",
        ["python3", tool.path, "upstream", "--bind", b.underlayIP, "--port", "\(upstreamPort)"])
      let secret = try net.makeSecretFile()
      try net.startMeshd(
        on: a, peers: [b], secret: secret,
        extraArguments: ["--dns-upstream", "\(b.underlayIP):\(upstreamPort)"])
      try net.startMeshd(on: b, secret: secret, extraArguments: ["--no-dns"])
      try await net.requirePing(from: a, to: b.overlayIP)
      let ready = await waitUntil(timeout: 15) {
        upstream.log().contains("READY")
          && ((try? dig(a, a.overlayIP, ["nothing.mesh.internal"]))?.contains("NXDOMAIN") ?? false)
      }
      try #require(ready, "DNS server answers on \(a.overlayIP)\n\(net.diagnostics())")
      return (a, b, tool)
    }

    @Test("NXDOMAIN under the domain, forwarding, TCP, truncation and TCP fallback")
    func answersAndForwards() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b, _) = try await Self.start(net)

      let nx = try Self.dig(a, a.overlayIP, ["NoThing.Mesh.Internal"])
      #expect(nx.contains("status: NXDOMAIN"), "\(nx)")
      #expect(nx.contains(" aa"), "authoritative: \(nx)")
      #expect(nx.contains("SOA"), "SOA in authority: \(nx)")
      let nodata = try Self.dig(a, a.overlayIP, ["mesh.internal", "SOA"])
      #expect(nodata.contains("status: NOERROR") && nodata.contains("hostmaster"), "\(nodata)")

      let outside = try Self.dig(a, a.overlayIP, ["outside.example"])
      #expect(outside.contains("status: NOERROR") && outside.contains("198.51.100.7"), "\(outside)")
      let tcp = try Self.dig(a, a.overlayIP, ["+tcp", "outside.example"])
      #expect(tcp.contains("198.51.100.7") && tcp.contains("(TCP)"), "\(tcp)")
      let tcpNX = try Self.dig(a, a.overlayIP, ["+tcp", "nothing.mesh.internal"])
      #expect(tcpNX.contains("status: NXDOMAIN"), "\(tcpNX)")
      let unknown = try Self.dig(a, a.overlayIP, ["unknown.example"])
      #expect(unknown.contains("status: NXDOMAIN") && !unknown.contains(" aa"), "\(unknown)")

      // A big answer: truncated over UDP (dig told not to retry), whole after TCP fallback.
      let cut = try Self.dig(a, a.overlayIP, ["+noedns", "+ignore", "big.example"])
      #expect(cut.contains(" tc"), "TC set: \(cut)")
      #expect(!cut.contains("ANSWER: 100"), "\(cut)")
      let whole = try Self.dig(a, a.overlayIP, ["big.example"])
      #expect(whole.contains("ANSWER: 100"), "TCP fallback: \(whole)")
      #expect(whole.contains("Truncated, retrying in TCP mode"), "\(whole)")

      // From the other host, across the mesh, the bridge address answers too.
      let remote = try Self.dig(b, a.overlayIP, ["outside.example"])
      #expect(remote.contains("198.51.100.7"), "\(remote)")

      let status = try #require(try Self.dnsStatus(net, a))
      #expect(status.address == a.overlayIP && status.domain == "mesh.internal")
      #expect(status.upstreams == ["\(b.underlayIP):\(Self.upstreamPort)"])
      #expect(status.queries >= 10 && status.forwarded >= 5 && status.nxdomain >= 3)
      #expect(status.answered >= 4)
      #expect(try Self.dnsStatus(net, b) == nil, "--no-dns: no DNS status")
    }

    @Test("silent on the underlay, and with --no-dns")
    func notOnTheUnderlay() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b, _) = try await Self.start(net)
      for (from, proto) in [(b, "+notcp"), (b, "+tcp"), (a, "+notcp"), (a, "+tcp")] {
        let out = try Self.dig(from, a.underlayIP, [proto, "nothing.mesh.internal"])
        #expect(!out.contains("status:"), "no answer on \(a.underlayIP) \(proto): \(out)")
      }
      let ss = try a.run(["ss", "-uln"]).stdout + (try a.run(["ss", "-tln"]).stdout)
      #expect(ss.contains("\(a.overlayIP)%br0:53"), "bound to the bridge only:\n\(ss)")
      let wildcard = ss.split(whereSeparator: \.isWhitespace).contains {
        $0 == "0.0.0.0:53" || $0 == "*:53" || $0 == "[::]:53"
      }
      #expect(!wildcard, "nothing on the wildcard address:\n\(ss)")
      // B runs with --no-dns: nothing on its bridge address.
      let off = try Self.dig(a, b.overlayIP, ["nothing.mesh.internal"])
      #expect(!off.contains("status:"), "\(off)")
    }

    @Test("a flooding source is rate-limited; malformed input is counted and survived")
    func rateLimitAndMalformed() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b, tool) = try await Self.start(net)
      let before = try #require(try Self.dnsStatus(net, a))

      let garbage = try b.run(
        ["python3", tool.path, "garbage", "--server", a.overlayIP], timeout: 20)
      #expect(DNSTool.result("GARBAGERESULT", in: garbage.stdout) == [1], "\(garbage)")

      let flood = try b.run(
        ["python3", tool.path, "flood", "--server", a.overlayIP, "--count", "3000"], timeout: 60)
      let counts = try #require(DNSTool.result("FLOODRESULT", in: flood.stdout), "\(flood)")
      #expect(counts.count == 2 && counts[0] == 3000, "\(flood)")
      #expect(counts[1] > 0 && counts[1] < counts[0], "some answered, not all: \(counts)")
      // Another source is not affected meanwhile.
      let other = try Self.dig(a, a.overlayIP, ["nothing.mesh.internal"])
      #expect(other.contains("NXDOMAIN"), "\(other)")
      let after = try #require(try Self.dnsStatus(net, a))
      #expect(after.rateLimited > before.rateLimited, "rate_limited counted: \(after)")
      #expect(after.malformed >= before.malformed + 3, "malformed counted: \(after)")
      // The flooder's bucket refills: it is answered again.
      let refilled = await waitUntil(timeout: 10, interval: 0.5) {
        (try? Self.dig(b, a.overlayIP, ["nothing.mesh.internal"]))?.contains("NXDOMAIN") ?? false
      }
      #expect(refilled, "the flooding source is answered again later")
    }

    @Test(
      "meshd up refuses bad DNS flags with one line naming the flag",
      arguments: [
        ["--dns-domain", "bad..name"], ["--dns-domain", "-x.internal"],
        ["--dns-domain", "under_score.internal"], ["--dns-upstream", "resolver.example"],
        ["--dns-upstream", "192.0.2.1:99999"], ["--dns-port", "0"],
      ])
    func badFlags(_ flag: [String]) throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let host = net.host(1)
      let secret = try net.makeSecretFile()
      let result = try host.run(
        [
          meshd, "up", "--bridge", NetnsHost.bridge, "--secret-file", secret.path, "--listen",
          host.meshEndpoint, "--state-dir", net.workDirectory.appendingPathComponent("state").path,
          "--socket", net.workDirectory.appendingPathComponent("s.sock").path,
        ] + flag, timeout: 10)
      #expect(!result.timedOut && result.status != 0, "\(result)")
      #expect(result.stderr.contains(flag[0]), "the error names the flag: \(result)")
    }
  }
}
