import Foundation
import Testing

extension MeshIntegration {
  /// The seed is not special once the mesh has formed, and a restarted host rejoins from the
  /// peers it remembers in its state directory.
  @Suite("Mesh: seed loss and restart memory")
  struct MeshSeedLossTests {
    @Test(
      "kill -9 of the seed: the rest stay connected; the seed restarts with no --peer and rejoins in 30 s"
    )
    func seedLossAndRejoin() async throws {
      let net = try TestNetwork(hostCount: 4)
      defer { net.shutdown() }
      let hosts = net.hosts
      let seed = net.host(1)
      let others = Array(hosts.dropFirst())
      let secret = try net.makeSecretFile()
      let seedDaemon = try net.startMeshd(on: seed, secret: secret)
      for host in others { try net.startMeshd(on: host, peers: [seed], secret: secret) }
      try await net.requireFullMesh(hosts, timeout: 25)
      try await net.requirePingMatrix(hosts)

      // The seed was started without --peer: only its known-peers file can bring it back.
      #expect(!seedDaemon.arguments.contains("--peer"))
      let expected = Set(others.map(\.meshEndpoint))
      let remembered = await waitUntil(timeout: 10) {
        expected.isSubset(of: Set(seedDaemon.knownPeers()))
      }
      #expect(remembered, "the seed's known-peers lists the others: \(seedDaemon.knownPeers())")
      let seedID = try net.status(seed).peerID

      seedDaemon.killHard()
      #expect(!seedDaemon.isRunning)
      try await net.requirePingMatrix(others, timeout: 5)
      // Once the others notice the seed is gone (no answer for 15 s), they still talk.
      let noticed = await waitUntil(timeout: 22, interval: 0.5) {
        others.contains { (try? net.status($0).isEstablished(with: seedID)) == false }
      }
      print("seed loss: death noticed by a peer: \(noticed)")
      try await net.requirePingMatrix(others, timeout: 5)
      for host in others {
        let view = try net.status(host)
        let live = view.establishedPeers.filter { $0.peerID != seedID }.count
        #expect(live == others.count - 1, "\(host) keeps its sessions with the other two")
      }

      try seedDaemon.restart()
      let restarted = Date()
      try await net.requireFullMesh(hosts, timeout: 30)
      for host in others {
        try await net.requirePing(from: seed, to: host.overlayIP, timeout: 5)
        try await net.requirePing(from: host, to: seed.overlayIP, timeout: 5)
      }
      let took = Date().timeIntervalSince(restarted)
      print("seed loss: seed back in the mesh \(String(format: "%.1f", took)) s after restart")
      #expect(took <= 30, "the seed rejoined in \(took) s")
      #expect(try net.status(seed).peerID == seedID, "the state dir keeps the seed's identity")
    }
  }
}
