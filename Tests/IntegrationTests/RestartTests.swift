import Foundation
import Testing

extension MeshIntegration {
  /// (e) A peer that dies hard and comes back is reachable again without help.
  @Suite("Restart")
  struct RestartTests {
    @Test("kill -9 of B, restart with the same state: A's pings resume within 15 s")
    func recoversAfterKill9() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret)
      let daemonB = try net.startMeshd(on: b, secret: secret)
      try await net.requirePing(from: a, to: b.overlayIP)
      let idBefore = try net.status(b).peerID

      daemonB.killHard()
      #expect(!daemonB.isRunning)
      #expect(!a.ping(b.overlayIP), "B is dead: its address must not answer")

      try daemonB.restart()
      let restarted = Date()
      let resumed = await net.waitForPing(from: a, to: b.overlayIP, timeout: 15)
      let took = Date().timeIntervalSince(restarted)
      #expect(
        resumed, "pings from A did not resume within 15 s of B's restart\n\(net.diagnostics())")
      if resumed { print("restart: traffic resumed after \(String(format: "%.1f", took)) s") }
      let idAfter = try net.status(b).peerID
      #expect(idBefore != nil && idAfter == idBefore, "the state dir keeps B's identity")
    }
  }
}
