import Testing

extension MeshIntegration {
  /// (f) Random datagrams at the mesh port are counted and dropped, never fatal.
  @Suite("Garbage datagrams")
  struct GarbageDatagramTests {
    @Test("20 000 random datagrams leave B running, the tunnel working, drops counted")
    func survivesGarbage() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, c) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret)
      let daemonB = try net.startMeshd(on: b, secret: secret)
      try await net.requirePing(from: a, to: b.overlayIP)
      let dropsBefore = try net.status(b).dropCount("malformed", "mac1")

      let tool = try NetTool.install(in: net.workDirectory)
      let flood = try c.run(
        [
          "python3", tool.path, "udp-garbage", "--to", b.underlayIP, "--port",
          "\(NetnsHost.meshPort)", "--count", "20000", "--seed", "4711",
        ], timeout: 90)
      #expect(flood.succeeded, "\(flood)")

      #expect(daemonB.isRunning, "B died under garbage\n\(net.diagnostics())")
      try await net.requirePing(from: a, to: b.overlayIP, timeout: 15)
      try await net.requirePing(from: b, to: a.overlayIP, timeout: 15)
      let status = try net.status(b)
      let dropsAfter = status.dropCount("malformed", "mac1")
      let detail =
        "malformed+mac1 drops on B: before \(dropsBefore), after \(dropsAfter); all: \(status.drops)"
      #expect(dropsAfter > dropsBefore, Comment(rawValue: detail))
      print("garbage: B counted \(dropsAfter - dropsBefore) malformed/mac1 drops: \(status.drops)")
    }
  }
}
