import Testing

extension MeshIntegration {
  /// (a) Two hosts: overlay reachability both ways and per-peer counters.
  @Suite("Two hosts: ping")
  struct TwoHostPingTests {
    @Test("ping both ways between 10.47.0.1 and 10.47.0.2; status shows established + bytes")
    func pingBothWays() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret)
      try net.startMeshd(on: b, secret: secret)

      try await net.requirePing(from: a, to: b.overlayIP)
      try await net.requirePing(from: b, to: a.overlayIP)
      #expect(a.ping(b.overlayIP, count: 3), "repeated pings A→B")
      try await net.requireEstablished(a, b)

      let (sa, sb) = (try net.status(a), try net.status(b))
      #expect(sa.peerID?.count == 16, "peer_id is 16 hex digits: \(sa.peerID ?? "nil")")
      let peerB = try #require(sa.peer(id: sb.peerID), "A lists B\n\(net.diagnostics())")
      let peerA = try #require(sb.peer(id: sa.peerID), "B lists A\n\(net.diagnostics())")
      #expect(peerB.isEstablished && peerA.isEstablished)
      #expect(
        peerB.endpointHost == b.underlayIP, "A's view of B's endpoint: \(peerB.endpoint ?? "nil")")
      #expect(
        peerA.endpointHost == a.underlayIP, "B's view of A's endpoint: \(peerA.endpoint ?? "nil")")
      #expect(peerB.publicKey != nil && peerB.publicKey == sb.publicKey)
      // Each daemon has a socket of its own for the other, connected to its endpoint.
      for (host, other) in [(a, b), (b, a)] {
        let sockets = try host.run(["ss", "-u", "-a", "-n"]).stdout
        let connected = sockets.split(separator: "\n").contains { line in
          line.hasPrefix("ESTAB") && line.contains("\(other.underlayIP):\(NetnsHost.meshPort)")
        }
        #expect(connected, "a connected socket to \(other.underlayIP) on \(host):\n\(sockets)")
      }
      for (name, peer) in [("A→B", peerB), ("B→A", peerA)] {
        #expect((peer.rxBytes ?? 0) > 0, "\(name) rx_bytes counted")
        #expect((peer.txBytes ?? 0) > 0, "\(name) tx_bytes counted")
        #expect((peer.rxFrames ?? 0) > 0, "\(name) rx_frames counted")
        #expect((peer.txFrames ?? 0) > 0, "\(name) tx_frames counted")
        #expect((peer.handshakesCompleted ?? 0) >= 1, "\(name) handshakes_completed")
      }
    }
  }
}
