import Testing

extension MeshIntegration {
  /// (b) Bulk TCP through the tunnel arrives intact.
  @Suite("Bulk transfer")
  struct BulkTransferTests {
    @Test("a 20 MB TCP transfer A→B arrives with the same SHA-256")
    func twentyMegabytes() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()

      let file = try TcpTransfer.randomFile(in: net, name: "payload.bin", count: 20 << 20)
      let transfer = try await TcpTransfer.run(in: net, from: a, to: b, file: file)
      #expect(transfer.isIntact, "\(transfer.summary)\n\(net.diagnostics())")
      #expect(net.meshd(on: a)?.isRunning == true && net.meshd(on: b)?.isRunning == true)
    }
  }
}
