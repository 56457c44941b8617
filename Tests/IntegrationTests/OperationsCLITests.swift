import Foundation
import Testing

extension MeshIntegration {
  /// `meshd up`'s operations options refuse bad values with one line naming the flag, before
  /// anything changes; a metrics address the host does not have is refused at start.
  @Suite("Operations options")
  struct OperationsCLITests {
    func up(_ extra: [String]) throws -> (Shell.Result, TestNetwork, NetnsHost) {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let net = try TestNetwork(hostCount: 1)
      let host = net.host(1)
      let secret = try net.makeSecretFile()
      let result = try host.run(
        [
          meshd, "up", "--bridge", NetnsHost.bridge, "--secret-file", secret.path, "--listen",
          host.meshEndpoint, "--state-dir", net.workDirectory.appendingPathComponent("state").path,
          "--socket", net.workDirectory.appendingPathComponent("s.sock").path,
        ] + extra, timeout: 15)
      return (result, net, host)
    }

    @Test(
      "bad --log-format and --metrics-listen values are refused naming the flag",
      arguments: [
        ["--log-format", "xml"], ["--metrics-listen", "localhost:9477"],
        ["--metrics-listen", "192.0.2.1"], ["--metrics-listen", "192.0.2.1:0"],
      ])
    func badValues(_ extra: [String]) throws {
      let (result, net, _) = try up(extra)
      defer { net.shutdown() }
      #expect(!result.timedOut && result.status != 0, "\(result)")
      #expect(result.stderr.contains(extra[0]), "the error names the flag: \(result)")
    }

    @Test("a metrics address this host does not have is refused, and nothing is left behind")
    func unboundMetricsAddress() throws {
      let (result, net, host) = try up(["--metrics-listen", "203.0.113.77:9477"])
      defer { net.shutdown() }
      #expect(!result.timedOut && result.status != 0, "\(result)")
      #expect(result.stderr.contains("--metrics-listen"), "\(result)")
      let tables = try host.run(["nft", "list", "tables"], timeout: 10)
      #expect(!tables.stdout.contains("meshd"), "a refused start left its tables: \(tables)")
      let links = try host.run(["ip", "-o", "link", "show", "meshtap0"], timeout: 10)
      #expect(!links.succeeded, "a refused start left the TAP")
    }
  }
}
