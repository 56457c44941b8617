import Testing

extension MeshIntegration {
  /// Runs of one UDP flow are merged into one TAP write (virtio UDP segmentation) on the
  /// receiving host, and the datagrams that come out of the kernel are the ones that were sent.
  @Suite("UDP offloads")
  struct UDPCoalescingTests {
    @Test("a numbered UDP stream crosses intact; B's TAP sees merged frames larger than the MTU")
    func udpStreamIntact() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()
      let log = try #require(net.meshd(on: b)).process.log()
      #expect(log.contains("udp-coalescing=true"), "B merges UDP runs on this kernel:\n\(log)")

      let tool = try NetTool.install(in: net.workDirectory)
      let tap = try await PacketCapture(
        in: net, namespace: b.namespace, interface: "meshtap0", name: "tapB")
      let checker = try net.spawn(
        in: b, name: "udp-check",
        ["python3", tool.path, "udp-check", "--bind", b.overlayIP, "--port", "5400"])
      #expect(await waitUntil(timeout: 10) { checker.log().contains("LISTENING") })
      // Bursts the sender hands over at once (UDP_SEGMENT), of several sizes; then single
      // sends of mixed sizes, Ethernet-padded ones among them.
      let bursts = try a.run(
        [
          "python3", tool.path, "udp-stream", "--to", b.overlayIP, "--port", "5400", "--gso",
          "--count", "3000", "--sizes", "64,64,300,1200,9",
        ], timeout: 60)
      #expect(bursts.succeeded, "\(bursts)")
      let singles = try a.run(
        [
          "python3", tool.path, "udp-stream", "--to", b.overlayIP, "--port", "5400",
          "--start", "3000", "--count", "1000", "--sizes", "64,64,64,300,1200,64,9,64",
        ], timeout: 60)
      #expect(singles.succeeded, "\(singles)")
      let count = 4000
      #expect(await waitUntil(timeout: 20) { !checker.isRunning }, "udp-check finished")
      tap.stop()
      let result = try #require(
        NetTool.parseUDPResult(checker.log()), "udp-check printed a result: \(checker.log())")
      #expect(result.corrupt == 0, "corrupt datagrams: \(result.corrupt)")
      #expect(
        result.intact >= count * 9 / 10,
        "\(result.intact) of \(count) datagrams arrived intact\n\(net.diagnostics())")
      let merged = try tap.count(matching: ["udp", "port", "5400", "and", "greater", "1600"])
      #expect(merged > 0, "B's TAP saw no merged UDP frame (length > 1600)")
    }
  }
}
