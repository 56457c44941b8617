import Foundation
import Testing

extension MeshIntegration {
  /// Host exposure: by default the mesh cannot open connections to a host's own addresses
  /// (nftables table `meshd`); `meshd expose` opens the host, `meshd hide` closes it again.
  /// Containers are namespaces on the hosts' bridges (a veth port each), as Docker makes them.
  @Suite("Host exposure")
  struct HostExposureTests {
    /// A namespace acting as a container on `host`'s bridge, at `address`/16; deleted by
    /// `removeContainers`.
    static func addContainer(
      _ net: TestNetwork, on host: NetnsHost, suffix: String, address: String
    ) throws -> String {
      let ip = try IntegrationEnvironment.ip()
      let ns = "\(net.id)\(suffix)"
      try Shell.run([ip, "netns", "add", ns]).check()
      let port = "mshc\(suffix)"
      try Shell.run([
        ip, "-n", host.namespace, "link", "add", port, "type", "veth", "peer", "name", "eth0",
        "netns", ns,
      ]).check()
      try Shell.run([ip, "-n", host.namespace, "link", "set", port, "master", NetnsHost.bridge])
        .check()
      try Shell.run([ip, "-n", host.namespace, "link", "set", port, "up"]).check()
      try Shell.run([ip, "-n", ns, "addr", "add", "\(address)/16", "dev", "eth0"]).check()
      try Shell.run([ip, "-n", ns, "link", "set", "eth0", "up"]).check()
      try Shell.run([ip, "-n", ns, "link", "set", "lo", "up"]).check()
      return ns
    }

    static func removeContainers(_ names: [String]) {
      guard let ip = IntegrationEnvironment.ipPath else { return }
      for ns in names { _ = try? Shell.run([ip, "netns", "del", ns], timeout: 10) }
    }

    /// The `inet meshd` table on `host`, as `nft list` prints it ("" when absent).
    static func table(on host: NetnsHost) -> String {
      (try? host.run(["nft", "list", "table", "inet", "meshd"], timeout: 10))?.stdout ?? ""
    }

    @Test("hidden by default, open after meshd expose, hidden again after meshd hide")
    func exposeAndHide() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret)
      let meshdB = try net.startMeshd(on: b, secret: secret, extraArguments: ["--no-expose"])
      let c1 = try HostExposureTests.addContainer(net, on: a, suffix: "c1", address: "10.47.100.1")
      let c2 = try HostExposureTests.addContainer(net, on: b, suffix: "c2", address: "10.47.100.2")
      defer { HostExposureTests.removeContainers([c1, c2]) }
      try await net.requirePing(from: a, to: b.overlayIP)
      // A service of host 2 on all addresses, and one in the container on host 1.
      _ = try net.spawn(in: b, name: "server-b", SocketProbe.serverArguments(port: 7070))
      _ = try net.spawn(namespace: c1, name: "server-c1", SocketProbe.serverArguments(port: 7071))
      let up = await waitUntil(timeout: 10) {
        SocketProbe.probe(namespace: b.namespace, proto: "tcp", address: "127.0.0.1", port: 7070)
          == "ok"
          && SocketProbe.probe(namespace: c1, proto: "tcp", address: "127.0.0.1", port: 7071)
            == "ok"
      }
      try #require(up, "the probe servers did not start")
      func probe(_ ns: String, _ proto: String, _ address: String, _ port: Int = 7070) -> String {
        SocketProbe.probe(namespace: ns, proto: proto, address: address, port: port)
      }

      // Hidden (the default).
      #expect(HostExposureTests.table(on: b).contains("reject"), "no reject rule on host 2")
      // Refused at once (a TCP reset, an ICMP error for UDP), not left to time out.
      let fromHost1 = probe(a.namespace, "tcp", b.overlayIP)
      #expect(fromHost1.contains("refused"), "host 1 to host 2's service: \(fromHost1)")
      let fromC1 = probe(c1, "tcp", b.overlayIP)
      #expect(fromC1.contains("refused"), "a container on host 1 to host 2: \(fromC1)")
      let udpFromC1 = probe(c1, "udp", b.overlayIP)
      #expect(udpFromC1.hasPrefix("error"), "a container on host 1 to host 2 (UDP): \(udpFromC1)")
      // Local containers keep reaching their host, TCP and UDP (its DNS, for one).
      #expect(probe(c2, "tcp", b.overlayIP) == "ok", "host 2's own container lost its host")
      #expect(probe(c2, "udp", b.overlayIP) == "ok", "host 2's own container lost its host (UDP)")
      // Host 2 still opens connections across the mesh, and the replies come back.
      #expect(probe(b.namespace, "tcp", "10.47.100.1", 7071) == "ok")
      #expect(probe(b.namespace, "udp", "10.47.100.1", 7071) == "ok")
      // Ping works both ways, to the host and from it.
      #expect(a.ping(b.overlayIP, count: 2))
      #expect(b.ping(a.overlayIP, count: 2))
      #expect(b.ping("10.47.100.1", count: 2))
      let pinged = try HostExposureTests.runIn(c1, ["ping", "-c", "2", "-W", "1", b.overlayIP])
      #expect(pinged, "a container on host 1 cannot ping host 2")

      // Exposed at run time.
      let expose = try meshdB.control(["expose"])
      #expect(expose.succeeded, "meshd expose failed: \(expose)")
      #expect(!HostExposureTests.table(on: b).contains("reject"))
      #expect(
        probe(a.namespace, "tcp", b.overlayIP) == "ok", "host 1 cannot reach an exposed host 2")
      #expect(probe(c1, "tcp", b.overlayIP) == "ok", "a container cannot reach an exposed host")
      #expect(
        probe(c1, "udp", b.overlayIP) == "ok", "a container cannot reach an exposed host (UDP)")

      // Hidden again.
      let hide = try meshdB.control(["hide"])
      #expect(hide.succeeded, "meshd hide failed: \(hide)")
      #expect(probe(a.namespace, "tcp", b.overlayIP) != "ok", "host 1 reached a hidden host 2")
      #expect(probe(c1, "tcp", b.overlayIP) != "ok", "a container reached a hidden host 2")
      #expect(probe(c2, "tcp", b.overlayIP) == "ok")

      // The table goes with the daemon.
      meshdB.stop()
      #expect(HostExposureTests.table(on: b).isEmpty, "the meshd table outlived meshd")
    }

    @Test("--expose at start leaves the host open; the table is there for meshd hide")
    func exposedAtStart() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()
      _ = try net.spawn(in: b, name: "server-b", SocketProbe.serverArguments(port: 7070))
      let reached = await waitUntil(timeout: 10) {
        SocketProbe.probe(namespace: a.namespace, proto: "tcp", address: b.overlayIP, port: 7070)
          == "ok"
      }
      #expect(reached, "host 1 cannot reach host 2 started with --expose")
      let table = HostExposureTests.table(on: b)
      #expect(table.contains("table inet meshd") && !table.contains("reject"), "\(table)")
    }

    static func runIn(_ ns: String, _ argv: [String]) throws -> Bool {
      try Shell.run([try IntegrationEnvironment.ip(), "netns", "exec", ns] + argv, timeout: 15)
        .succeeded
    }
  }
}
