import Foundation
import MeshAPI
import Testing

extension MeshIntegration {
  /// A query flood from a container does not stall the data path: the DNS server runs on a
  /// thread of its own and drops a flooding source's excess at its rate limit. Measured as a
  /// TCP stream through the mesh (iperf3) without and during a flood from a namespace on the
  /// bridge; the figures are printed, and the test checks that the stream ran both times and
  /// that the flood was limited.
  @Suite("DNS flood and the data path")
  struct DNSFloodTests {
    /// The stream's rate in bits per second from `iperf3 -J` output.
    static func bitsPerSecond(_ json: String) -> Double? {
      guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
        let end = object["end"] as? [String: Any],
        let received = end["sum_received"] as? [String: Any]
      else { return nil }
      return received["bits_per_second"] as? Double
    }

    @Test("iperf3 through the mesh during a DNS flood from a container namespace")
    func streamDuringFlood() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()
      let ip = try IntegrationEnvironment.ip()
      // A "container" on host A's bridge.
      let container = "\(net.id)c"
      try Shell.run([ip, "netns", "add", container]).check()
      defer { _ = try? Shell.run([ip, "netns", "del", container], timeout: 10) }
      try Shell.run([
        ip, "-n", a.namespace, "link", "add", "mshdc0", "type", "veth", "peer", "name", "mshdc1",
        "netns", container,
      ]).check()
      try Shell.run([ip, "-n", a.namespace, "link", "set", "mshdc0", "master", "br0", "up"]).check()
      try Shell.run([ip, "-n", container, "addr", "add", "10.47.1.10/16", "dev", "mshdc1"]).check()
      try Shell.run([ip, "-n", container, "link", "set", "mshdc1", "up"]).check()
      try Shell.run([ip, "-n", container, "link", "set", "lo", "up"]).check()
      let tool = try DNSTool.install(in: net.workDirectory)
      let bound = await waitUntil(timeout: 15) {
        (try? Shell.run(
          [
            ip, "netns", "exec", container, "dig", "@\(a.overlayIP)", "+tries=1", "+time=1",
            "nothing.mesh.internal",
          ], timeout: 10))?.stdout.contains("NXDOMAIN") ?? false
      }
      try #require(bound, "the container reaches the DNS server\n\(net.diagnostics())")

      _ = try net.spawn(in: b, name: "iperf3-server", ["iperf3", "-s", "-B", b.overlayIP])
      try await Task.sleep(for: .milliseconds(500))
      func stream() throws -> Double {
        let result = try a.run(
          ["iperf3", "-c", b.overlayIP, "-t", "4", "-J", "--connect-timeout", "3000"], timeout: 30)
        guard let bps = DNSFloodTests.bitsPerSecond(result.stdout) else {
          throw HarnessError("iperf3 gave no rate:\n\(result)")
        }
        return bps
      }
      let baseline = try stream()
      let flood = try net.spawn(
        namespace: container, name: "dns-flood",
        ["python3", tool.path, "flood", "--server", a.overlayIP, "--seconds", "7"])
      try await Task.sleep(for: .milliseconds(1000))
      let during = try stream()
      let finished = await waitUntil(timeout: 20) {
        DNSTool.result("FLOODRESULT", in: flood.log()) != nil
      }
      #expect(finished, "flood finished: \(flood.logTail())")
      let counts = DNSTool.result("FLOODRESULT", in: flood.log()) ?? [0, 0]
      let meshd = try IntegrationEnvironment.meshdBinary()
      let statusText = try a.run(
        [meshd, "status", "--json", "--socket", try #require(net.meshd(on: a)).socket.path]
      ).stdout
      let dns = try JSONValue.parse(Array(statusText.utf8))["dns"].flatMap(
        DNSStatus.init(json:))
      let limited = dns?.rateLimited ?? 0
      // The control: the same flood at a port nothing listens on (the flooder's own CPU and
      // the kernel's), so the server's share of the difference shows.
      let closed = try net.spawn(
        namespace: container, name: "closed-flood",
        [
          "python3", tool.path, "flood", "--server", a.overlayIP, "--port", "5399", "--seconds",
          "7",
        ])
      try await Task.sleep(for: .milliseconds(1000))
      let duringClosed = try stream()
      _ = await waitUntil(timeout: 20) { DNSTool.result("FLOODRESULT", in: closed.log()) != nil }
      let closedCounts = DNSTool.result("FLOODRESULT", in: closed.log()) ?? [0, 0]
      func mbit(_ bps: Double) -> Int { Int(bps / 1e6) }
      func ratio(_ x: Double) -> String { String(format: "%.2f", x / baseline) }
      print(
        "DNS flood: stream \(mbit(baseline)) Mbit/s without; \(mbit(during)) Mbit/s "
          + "(ratio \(ratio(during))) during a flood of \(counts.first ?? 0) queries in 7 s at the "
          + "DNS server (\(counts.last ?? 0) answered, \(limited) rate-limited); "
          + "\(mbit(duringClosed)) Mbit/s (ratio \(ratio(duringClosed))) during the same flood "
          + "(\(closedCounts.first ?? 0) datagrams) at a closed port")
      #expect(baseline > 0 && during > 0 && duringClosed > 0)
      #expect((counts.first ?? 0) > 1000, "the flood ran: \(counts)")
      #expect(limited > 0, "the flood was rate-limited")
    }
  }
}
