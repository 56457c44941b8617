import Foundation
import Testing

extension MeshIntegration {
  /// Discovery: hosts that only know a seed find each other through gossip and talk directly.
  @Suite("Mesh: discovery")
  struct MeshDiscoveryTests {
    @Test("6 hosts given only host 1 form a full mesh in 40 s; 4→5 traffic bypasses host 1")
    func sixHostsFromOneSeed() async throws {
      let net = try TestNetwork(hostCount: 6)
      defer { net.shutdown() }
      let hosts = net.hosts
      let seed = net.host(1)
      let secret = try net.makeSecretFile()
      let start = Date()
      try net.startMeshd(on: seed, secret: secret)
      for host in hosts.dropFirst() { try net.startMeshd(on: host, peers: [seed], secret: secret) }

      try await net.requireFullMesh(hosts, timeout: 40)
      let remaining = max(5, 40 - Date().timeIntervalSince(start))
      try await net.requirePingMatrix(hosts, timeout: remaining)
      print("discovery: full mesh and all 30 pings after \(Self.seconds(since: start)) s")

      let (h4, h5) = (net.host(4), net.host(5))
      let (s4, id5) = (try net.status(h4), try net.status(h5).peerID)
      #expect(s4.route(to: id5)?.isDirect == true, "4 reaches 5 directly: \(s4.routes)")
      #expect(s4.peer(id: id5)?.endpointHost == h5.underlayIP, "4 talks to 5 at 5's address")

      // The datagrams of a 4→5 ping flood go straight to 5: host 1's underlay sees (almost)
      // none of them, and 5's underlay sees them arrive from 4's own address.
      let atSeed = try await PacketCapture(
        in: net, namespace: seed.namespace, interface: NetnsHost.underlayDevice, name: "seed")
      let atFive = try await PacketCapture(
        in: net, namespace: h5.namespace, interface: NetnsHost.underlayDevice, name: "five")
      let pings = 200
      let flood = try h4.run(
        ["ping", "-n", "-q", "-c", "\(pings)", "-i", "0.01", "-W", "1", h5.overlayIP],
        timeout: 30)
      #expect(flood.succeeded, "the ping flood got answers:\n\(flood)")
      try? await Task.sleep(nanoseconds: 300_000_000)
      atSeed.stop()
      atFive.stop()
      let from4AtSeed = try atSeed.count(matching: ["udp and src host \(h4.underlayIP)"])
      let from4AtFive = try atFive.count(matching: [
        "udp and src host \(h4.underlayIP) and dst host \(h5.underlayIP)"
      ])
      let from1AtFive = try atFive.count(matching: ["udp and src host \(seed.underlayIP)"])
      let answered = Self.received(inPingSummary: flood.stdout)
      print(
        "discovery: 4→5 flood: \(answered) of \(pings) answered; \(from4AtFive) datagrams "
          + "4→5 at host 5, \(from4AtSeed) from 4 at host 1, \(from1AtFive) from 1 at host 5")
      #expect(answered >= pings / 2, "most of the flood is answered: \(flood.stdout)")
      // The answered echo requests reached 5 straight from 4 (tcpdump itself may miss a few
      // packets on a loaded machine, so three quarters of them must be seen).
      #expect(from4AtFive >= answered * 3 / 4, "5 receives the flood straight from 4's address")
      #expect(from4AtSeed < 20, "host 1 does not carry the 4→5 flood (\(from4AtSeed) datagrams)")
      #expect(from1AtFive < 20, "host 1 relays nothing to 5 (\(from1AtFive) datagrams)")
    }

    /// The `M` of ping's `N packets transmitted, M received` summary line (0 if absent).
    static func received(inPingSummary text: String) -> Int {
      guard let range = text.range(of: #"(\d+) received"#, options: .regularExpression) else {
        return 0
      }
      return Int(text[range].split(separator: " ")[0]) ?? 0
    }

    /// Seconds elapsed since `start`, with one decimal.
    static func seconds(since start: Date) -> String {
      String(format: "%.1f", Date().timeIntervalSince(start))
    }
  }
}
