import Foundation
import Testing

extension MeshIntegration {
  /// Broadcasts follow the origin's broadcast tree: every host gets exactly one copy, also
  /// through a relay.
  @Suite("Mesh: broadcast exactly once")
  struct MeshBroadcastTests {
    @Test("one Ethernet broadcast reaches every other host's br0 exactly once, from 2 origins")
    func broadcastOncePerHost() async throws {
      // 1 on segment 1, 2 on both, 3 and 4 on segment 2: 1's tree is 1→2→{3, 4}, and 3's
      // has both a direct edge (3→4) and a relayed branch (3→2→1).
      let net = try TestNetwork(hostCount: 4) { [[1], [1, 2], [2], [2]][$0 - 1] }
      defer { net.shutdown() }
      let hosts = net.hosts
      let hub = net.host(2)
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: hub, secret: secret)
      for host in hosts where host.index != hub.index {
        try net.startMeshd(on: host, peers: [hub], secret: secret)
      }
      try await net.requirePingMatrix(hosts, timeout: 25)
      // A settled topology: every host knows all four and has a route to each other one.
      let settled = await waitUntil(timeout: 15) {
        hosts.allSatisfy { host in
          guard let view = try? net.status(host) else { return false }
          return view.members == hosts.count && view.routes.count == hosts.count - 1
        }
      }
      #expect(settled, "topology did not settle on 4 members\n\(net.diagnostics())")
      let relayed = try net.status(net.host(1)).route(to: try net.status(net.host(3)).peerID)
      #expect(
        relayed?.isRelayed == true, "1 reaches 3 through the hub: \(String(describing: relayed))")

      let tool = try NetTool.install(in: net.workDirectory)
      for origin in [net.host(1), net.host(3)] {
        try await sendOnce(from: origin, hosts: hosts, net: net, tool: tool)
      }
    }

    /// Captures every host's `br0`, sends one broadcast frame with a unique marker from
    /// `origin`, and expects exactly one copy in each capture (the origin's own transmission
    /// included: a copy coming back to it would be a loop).
    private func sendOnce(
      from origin: NetnsHost, hosts: [NetnsHost], net: TestNetwork, tool: URL
    ) async throws {
      let marker = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }
        .joined()
      let filter = ["ether proto 0x88b5 and ether[14:4] = 0x\(marker.prefix(8))"]
      var captures: [Int: PacketCapture] = [:]
      for host in hosts {
        captures[host.index] = try await PacketCapture(
          in: net, namespace: host.namespace, interface: NetnsHost.bridge,
          name: "br0-h\(host.index)-from\(origin.index)")
      }
      defer { for capture in captures.values { capture.stop() } }
      let payload = marker + "4d455348442d42434153542d4f4e4345"  // "MESHD-BCAST-ONCE"
      try origin.run([
        "python3", tool.path, "send-ether", "--iface", NetnsHost.bridge, "--payload-hex",
        payload,
      ]).check()
      let arrived = await waitUntil(timeout: 5) {
        hosts.allSatisfy { (try? captures[$0.index]!.count(matching: filter)) ?? 0 >= 1 }
      }
      #expect(arrived, "the broadcast from \(origin) did not reach every host")
      // Give a duplicate (a second path, a loop) time to show up.
      try? await Task.sleep(nanoseconds: 1_500_000_000)
      for capture in captures.values { capture.stop() }
      for host in hosts {
        let copies = try captures[host.index]!.count(matching: filter)
        #expect(
          copies == 1,
          "\(host) saw \(copies) copies of the broadcast from \(origin) (want exactly 1)")
      }
    }
  }
}
