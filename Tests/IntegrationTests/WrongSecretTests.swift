import Testing

extension MeshIntegration {
  /// (d) A host with the wrong cluster secret gets no session and no traffic through.
  @Suite("Wrong secret")
  struct WrongSecretTests {
    @Test("C with a wrong secret is dropped by mac1 at A and cannot reach the overlay")
    func wrongSecretIsRejected() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, c) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      let wrong = try net.makeSecretFile(named: "wrong-secret")
      try net.startMeshd(on: a, secret: secret)
      try net.startMeshd(on: b, peers: [a], secret: secret)
      // Positive control: members on the same segment do mesh.
      try await net.requirePing(from: b, to: a.overlayIP)

      let macBefore = try net.status(a).dropCount("mac1")
      try net.startMeshd(on: c, peers: [a], secret: wrong)
      let dropped = await waitUntil(timeout: 20) {
        ((try? net.status(a).dropCount("mac1")) ?? 0) > macBefore
      }
      #expect(dropped, "A's mac1 drop counter should grow\n\(net.diagnostics())")

      #expect(!c.ping(a.overlayIP, count: 3), "C must not reach A's overlay address")
      let sc = try net.status(c)
      let sa = try net.status(a)
      #expect(sc.establishedPeers.isEmpty, "C lists established peers: \(sc.peers)")
      #expect(sa.peer(endpointHost: c.underlayIP) == nil, "A lists C by endpoint: \(sa.peers)")
      if let cid = sc.peerID {
        #expect(sa.peer(id: cid) == nil, "A lists C by peer ID")
      }
      #expect(net.meshd(on: a)?.isRunning == true)
      #expect(b.ping(a.overlayIP), "A–B still works after C's attempts")
    }
  }
}
