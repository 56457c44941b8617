import Testing

extension MeshIntegration {
  /// (i) `meshd create-bridge` is idempotent.
  @Suite("create-bridge")
  struct CreateBridgeTests {
    @Test("create-bridge twice: both exit 0, the bridge has its address once")
    func idempotent() throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let ip = try IntegrationEnvironment.ip()
      let net = try TestNetwork(hostCount: 1, bridges: false)
      defer { net.shutdown() }
      let host = net.host(1)
      let argv = [
        meshd, "create-bridge", "--bridge", NetnsHost.bridge, "--address", host.overlayCIDR,
      ]
      let first = try host.run(argv)
      #expect(first.succeeded, "\(first)")
      let mac1 = try Shell.run([ip, "-n", host.namespace, "-o", "link", "show", "br0"]).stdout
      let second = try host.run(argv)
      #expect(second.succeeded, "\(second)")

      let link = try Shell.run([ip, "-n", host.namespace, "-d", "link", "show", "br0"]).check()
      #expect(link.stdout.contains("bridge"), "br0 is a bridge: \(link.stdout)")
      #expect(link.stdout.contains("state UP") || link.stdout.contains(",UP"), "br0 is up")
      let addrs = try Shell.run([
        ip, "-n", host.namespace, "-o", "-4", "addr", "show", "dev", "br0",
      ])
      .check().stdout
      let count = addrs.split(separator: "\n").filter { $0.contains(" \(host.overlayCIDR) ") }.count
      #expect(count == 1, "\(host.overlayCIDR) on br0 exactly once:\n\(addrs)")
      let mac2 = try Shell.run([ip, "-n", host.namespace, "-o", "link", "show", "br0"]).stdout
      #expect(macOf(mac1) == macOf(mac2), "the bridge MAC is stable across create-bridge runs")
    }

    @Test("create-bridge --mtu sets the bridge MTU")
    func mtu() throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let net = try TestNetwork(hostCount: 1, bridges: false)
      defer { net.shutdown() }
      let host = net.host(1)
      let result = try host.run([
        meshd, "create-bridge", "--bridge", NetnsHost.bridge, "--mtu", "1400",
      ])
      #expect(result.succeeded, "\(result)")
      let link = try host.run(["ip", "-o", "link", "show", "br0"]).check()
      #expect(link.stdout.contains("mtu 1400"), "\(link.stdout)")
    }

    /// The `link/ether` address in one line of `ip -o link show`.
    private func macOf(_ line: String) -> String? {
      let words = line.split(separator: " ")
      guard let i = words.firstIndex(of: "link/ether"), i + 1 < words.count else { return nil }
      return String(words[i + 1])
    }
  }
}
