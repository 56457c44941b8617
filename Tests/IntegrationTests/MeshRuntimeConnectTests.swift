import Foundation
import Testing

extension MeshIntegration {
  /// `meshd connect` and `meshd forget` change the mesh of a running daemon.
  @Suite("Mesh: runtime connect and forget")
  struct MeshRuntimeConnectTests {
    @Test("a daemon with no peers joins via `meshd connect`; `meshd forget` drops a peer")
    func connectThenForget() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let hosts = net.hosts
      let (h1, h2, h3) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: h1, secret: secret)
      try net.startMeshd(on: h2, peers: [h1], secret: secret)
      let loner = try net.startMeshd(on: h3, secret: secret)
      try await net.requireEstablished(h1, h2)
      #expect(try net.status(h3).peers.isEmpty, "3 starts alone")

      try loner.control(["connect", h1.meshEndpoint]).check()
      try await net.requireFullMesh(hosts, timeout: 20)
      try await net.requirePing(from: h3, to: h2.overlayIP, timeout: 5)

      let id2 = try net.status(h2).peerID
      try loner.control(["forget", h2.meshEndpoint]).check()
      let dropped = await waitUntil(timeout: 5) {
        (try? net.status(h3))?.peer(id: id2) == nil
      }
      #expect(
        dropped, "3 still lists 2 as a direct peer after forget\n\(net.diagnostics())")
    }

    @Test("an IPv6 endpoint on an IPv4-only daemon: `connect` refused, a known peer skipped")
    func wrongFamilyIsRefusedAtRunTime() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (h1, h2) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: h1, secret: secret)
      let daemon = try net.startMeshd(on: h2, peers: [h1], secret: secret)
      try await net.requireEstablished(h1, h2)

      let refused = try daemon.control(["connect", "[2001:db8::1]:6786"])
      #expect(refused.status != 0, "\(refused)")
      #expect(refused.stderr.contains("IPv6"), "the error says why: \(refused)")
      #expect(!daemon.knownPeers().contains { $0.contains("2001:db8") })

      // A known-peers file that holds an IPv6 endpoint (left from an earlier configuration):
      // the daemon starts, skips it with one warning and never dials it.
      daemon.killHard()
      let file = daemon.stateDirectory.appendingPathComponent("known-peers")
      try "\(h1.meshEndpoint)\n[2001:db8::1]:6786\n".write(
        to: file, atomically: true, encoding: .utf8)
      try daemon.restart()
      try await net.requireEstablished(h1, h2)
      let log = daemon.process.log()
      #expect(
        log.contains("known peer [2001:db8:") && log.contains("skipped: it is IPv6"), "\(log)")
      #expect(!(try net.status(h2)).peers.contains { $0.endpoint?.contains("2001:db8") == true })
    }
  }
}
