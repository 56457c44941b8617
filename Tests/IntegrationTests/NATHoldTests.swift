import Foundation
import Testing

/// Integration tests that run longer than `MeshIntegration`'s two minutes per test, one after
/// another, under the same gate.
@Suite(
  .serialized, .timeLimit(.minutes(5)),
  .enabled(if: IntegrationEnvironment.canRun, "needs root, ip, /dev/net/tun"))
struct MeshIntegrationLong {}

extension MeshIntegrationLong {
  /// Issue 14, case (1): two NATed hosts and a public one; the NATed pair meets directly and
  /// stays direct for 3 minutes on keepalives alone (the routers' conntrack UDP timeouts are
  /// 20 s). The topology is `MeshIntegration.NATTraversalTests.natPair`.
  @Suite("NAT traversal: a punched pair stays direct")
  struct NATHoldTests {
    /// The internet is two segments (1 and 3) joined by a core router (host 2); host 1 is
    /// public on segment 1; host 3 masquerades segment 2 onto segment 1, host 4 segment 4 onto
    /// segment 3; hosts 5 and 6 sit behind them. The core router is one hop between the NATs,
    /// as the internet always has some: the openers die there.
    @Test func twoNATedHostsMeetDirectlyAndStayDirect() async throws {
      let nat = MeshIntegration.NATTraversalTests()
      let (net, hosts) = try nat.natPair(randomFully: false)
      let (p, r1, r2, n1, n2) = (hosts[0], hosts[1], hosts[2], hosts[3], hosts[4])
      // Issue 14 asks for 30 s. Usually 1-3 s (the common member tells both ends where to
      // meet; each opens its NAT, then dials a second later); a round that misses is retried
      // after 2 s, 4 s, 8 s... The test prints the time.
      guard let seconds = await nat.secondsUntilDirect(net, n1, n2, timeout: 30) else {
        Issue.record("the NATed pair did not meet directly within 30 s\n\(net.diagnostics())")
        return
      }
      print("NAT: two NATed hosts direct after \(String(format: "%.1f", seconds)) s")
      let view = try net.status(n1)
      let other = try net.status(n2)
      // n1 reaches n2 at r2's internet address: the mapping n2's NAT made, not n2's own.
      #expect(view.peer(id: other.peerID)?.endpointHost == r2.underlayIP(segment: 3))
      let route = view.routes.first { $0.peerID == other.peerID }
      #expect(route?.path == "punched" || route?.path == "direct", "\(String(describing: route))")
      // It stays direct on keepalives alone for 3 minutes, through several conntrack timeouts
      // (the routers' UDP timeouts are 20 s).
      var lapses: [String] = []
      for step in 1...36 {
        try await Task.sleep(nanoseconds: 5_000_000_000)
        let now = try? net.status(n1)
        let path = now?.routes.first { $0.peerID == other.peerID }?.path
        let up = now?.isEstablished(with: other.peerID) ?? false
        if !up || !(path == "punched" || path == "direct") {
          lapses.append("\(step * 5) s: \(up ? "up" : "down"), \(path ?? "no route")")
        }
      }
      #expect(lapses.isEmpty, "not direct throughout 3 min: \(lapses)\n\(net.diagnostics())")
      try await net.requirePing(from: n1, to: n2.overlayIP, timeout: 10)
      // The public host saved no NAT mapping as a known peer.
      let known = net.meshd(on: p)?.knownPeers() ?? []
      #expect(!known.contains { $0.hasPrefix(r1.underlayIP(segment: 1)) }, "\(known)")
    }
  }
}
