import Testing

extension MeshIntegration {
  /// (g) Rekeying under load does not disturb a long TCP stream.
  @Suite("Rekey under traffic")
  struct RekeyTests {
    @Test("rekey every 3 s during a 15 s TCP stream: intact, ≥ 3 handshakes")
    func rekeyUnderTraffic() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      let rekey = ["--debug-rekey-after-seconds", "3"]
      try net.startMeshd(on: a, peers: [b], secret: secret, extraArguments: rekey)
      try net.startMeshd(on: b, secret: secret, extraArguments: rekey)
      try await net.requirePing(from: a, to: b.overlayIP)

      // 15 MB at 1 MB/s: about 15 s, long enough for several rekeys.
      let file = try TcpTransfer.randomFile(in: net, name: "stream.bin", count: 15 << 20)
      let transfer = try await TcpTransfer.run(
        in: net, from: a, to: b, file: file, port: 5203, rate: 1 << 20, timeout: 90)
      #expect(transfer.isIntact, "\(transfer.summary)\n\(net.diagnostics())")
      #expect(transfer.seconds >= 12, "the stream lasted \(transfer.seconds) s")

      let (sa, sb) = (try net.status(a), try net.status(b))
      let handshakes = max(
        sa.peer(id: sb.peerID)?.handshakesCompleted ?? 0,
        sb.peer(id: sa.peerID)?.handshakesCompleted ?? 0)
      #expect(handshakes >= 3, "handshakes_completed: \(handshakes)\n\(net.diagnostics())")
    }
  }
}
