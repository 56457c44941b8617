import Foundation
import Testing

extension MeshIntegration {
  /// (c) The underlay never carries overlay plaintext.
  @Suite("Underlay capture")
  struct EncryptionCaptureTests {
    @Test("a marker sent through the tunnel is on B's br0 but never on A's underlay")
    func markerNeverOnUnderlay() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()

      let marker = "MESHD-PLAINTEXT-MARKER-\(UUID().uuidString)"
      let payload = String(repeating: marker + "\n", count: 4000)
      let file = net.workDirectory.appendingPathComponent("marker.txt")
      try payload.write(to: file, atomically: true, encoding: .utf8)

      let underlay = try await PacketCapture(
        in: net, namespace: a.namespace, interface: NetnsHost.underlayDevice, name: "underlayA")
      let overlay = try await PacketCapture(
        in: net, namespace: b.namespace, interface: NetnsHost.bridge, name: "bridgeB")
      let transfer = try await TcpTransfer.run(in: net, from: a, to: b, file: file, port: 5202)
      // A little UDP too, so a datagram path is covered as well as TCP.
      _ = try a.run(
        [
          "python3", "-c",
          "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            + "[s.sendto(b'\(marker)' * 20, ('\(b.overlayIP)', 5999)) for _ in range(20)]",
        ], timeout: 10)
      try await Task.sleep(nanoseconds: 300_000_000)
      underlay.stop()
      overlay.stop()
      #expect(transfer.isIntact, "\(transfer.summary)\n\(net.diagnostics())")

      let markerBytes = Data(marker.utf8)
      let underlayBytes = try underlay.bytes()
      let meshPackets = try underlay.count(matching: ["udp", "port", "\(NetnsHost.meshPort)"])
      // With TAP offloads a 64 KiB TCP segment crosses as one datagram (in IP fragments, of
      // which only the first shows the UDP port), so count bytes as well as packets: the
      // encrypted transfer itself must be in the capture.
      #expect(meshPackets > 10, "underlay capture has \(meshPackets) mesh UDP packets")
      #expect(
        underlayBytes.count > payload.utf8.count / 2,
        "underlay capture holds \(underlayBytes.count) B, less than half the \(payload.utf8.count) B sent"
      )
      #expect(
        underlayBytes.range(of: markerBytes) == nil,
        "plaintext marker found on the underlay in \(underlay.file.path)")
      let overlayBytes = try overlay.bytes()
      #expect(
        overlayBytes.range(of: markerBytes) != nil,
        "positive control: the marker should be visible on B's br0 (\(overlayBytes.count) B)")
    }
  }
}
