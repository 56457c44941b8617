import Foundation
import Testing

extension MeshIntegration {
  /// Hosts whose underlays have different MTUs on one segment: each measures the path to the
  /// other, and traffic crosses in both directions, in pieces where the path needs them.
  @Suite("Path MTU per peer")
  struct PathMTUTests {
    /// Sets the MTU of `host`'s underlay interface (segment 1).
    static func setUnderlayMTU(_ host: NetnsHost, _ mtu: Int) throws {
      try Shell.run([
        try IntegrationEnvironment.ip(), "-n", host.namespace, "link", "set",
        NetnsHost.underlayDevice, "mtu", "\(mtu)",
      ]).check()
    }

    /// Gives `host` the IPv6 underlay address `2001:db8:47::<index>/64` (no DAD wait).
    static func addIPv6(_ host: NetnsHost) throws {
      try Shell.run([
        try IntegrationEnvironment.ip(), "-n", host.namespace, "addr", "add",
        "\(ipv6(host))/64", "dev", NetnsHost.underlayDevice, "nodad",
      ]).check()
    }

    /// `host`'s IPv6 underlay address.
    static func ipv6(_ host: NetnsHost) -> String { "2001:db8:47::\(host.index)" }

    /// TCP both ways (a checksummed transfer each), pings larger than the smaller mesh MTU
    /// allowed before, and the measured path MTU in status.
    static func checkBothWays(
      _ net: TestNetwork, _ a: NetnsHost, _ b: NetnsHost, smallMTU: Int, ipv6: Bool
    ) async throws {
      try await net.requirePing(from: a, to: b.overlayIP)
      let towardsB = await waitUntil(timeout: 15, interval: 0.5) {
        (try? net.status(a).peers.first { $0.isEstablished }?.pathMTU).flatMap { $0 }
          .map { $0 <= smallMTU && $0 > smallMTU - 20 } ?? false
      }
      let peersOfA = try net.status(a).peers
      #expect(towardsB, "A measured the path to B: \(peersOfA.map { $0.pathMTU as Any })")
      #expect(peersOfA.count == 1 && peersOfA.first?.endpoint?.hasPrefix("[") == ipv6)
      // 1350 bytes of ICMP payload: more than the smaller side's mesh MTU minus headers.
      let big = try a.run(
        ["ping", "-n", "-q", "-c", "3", "-W", "2", "-i", "0.2", "-s", "1350", b.overlayIP],
        timeout: 20)
      #expect(big.succeeded, "large pings A→B:\n\(big)")
      let file = try TcpTransfer.randomFile(in: net, name: "payload.bin", count: 8 << 20)
      let ab = try await TcpTransfer.run(in: net, from: a, to: b, file: file, timeout: 60)
      #expect(ab.isIntact, "A→B: \(ab.summary)\n\(net.diagnostics())")
      let ba = try await TcpTransfer.run(
        in: net, from: b, to: a, file: file, port: 5202, timeout: 60)
      #expect(ba.isIntact, "B→A: \(ba.summary)\n\(net.diagnostics())")
      #expect(net.meshd(on: a)?.isRunning == true && net.meshd(on: b)?.isRunning == true)
      // Pieces went whole or were counted: none refused, none lost to a full reassembly.
      for host in [a, b] {
        let drops = try net.status(host).drops
        #expect(drops["malformed_inner", default: 0] == 0, "\(host): \(drops)")
        #expect(drops["reassembly_evicted", default: 0] == 0, "\(host): \(drops)")
      }
    }

    @Test(
      "IPv4 underlays of 1500 and 1400: TCP runs both ways, large pings cross",
      arguments: [[], ["--no-offloads"]])
    func ipv4Mismatch(flags: [String]) async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      try Self.setUnderlayMTU(b, 1400)
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret, extraArguments: flags)
      try net.startMeshd(on: b, secret: secret, extraArguments: flags)
      try await Self.checkBothWays(net, a, b, smallMTU: 1400, ipv6: false)
    }

    @Test("IPv6 underlays of 1500 and 1280: TCP runs both ways, large pings cross")
    func ipv6Mismatch() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      try Self.addIPv6(a)
      try Self.addIPv6(b)
      try Self.setUnderlayMTU(b, 1280)
      let secret = try net.makeSecretFile()
      let port = NetnsHost.meshPort
      try net.startMeshd(
        on: a, secret: secret,
        extraArguments: [
          "--listen", "[\(Self.ipv6(a))]:\(port)", "--peer", "[\(Self.ipv6(b))]:\(port)",
        ])
      try net.startMeshd(
        on: b, secret: secret, extraArguments: ["--listen", "[\(Self.ipv6(b))]:\(port)"])
      try await Self.checkBothWays(net, a, b, smallMTU: 1280, ipv6: true)
    }
  }
}
