import Foundation
import Testing

extension MeshIntegration {
  /// Names added by hand on one host travel in its signed record: they are listed on the
  /// other host within seconds, their removal spreads too, and a restarted host keeps them.
  @Suite("Name registry")
  struct NameRegistryTests {
    /// The names `meshd dns list --json` shows on `daemon`: "NAME ADDRESS KIND".
    static func names(_ daemon: MeshdProcess) -> [String] {
      guard let result = try? daemon.control(["dns", "list", "--json"]), result.succeeded,
        let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
          as? [String: Any],
        let items = object["names"] as? [[String: Any]]
      else { return [] }
      return items.compactMap { item in
        guard let name = item["name"] as? String, let address = item["address"] as? String,
          let kind = item["kind"] as? String
        else { return nil }
        return "\(name) \(address) \(kind)"
      }.sorted()
    }

    @Test("dns add on A is listed on B within 5 s, removal spreads, a restart keeps the names")
    func manualNamesSpreadAndPersist() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      let daemonA = try net.startMeshd(
        on: a, peers: [b], secret: secret, extraArguments: ["--no-docker"])
      let daemonB = try net.startMeshd(on: b, secret: secret, extraArguments: ["--no-docker"])
      try await net.requirePing(from: a, to: b.overlayIP)

      let added = try daemonA.control(["dns", "add", "Web", "10.47.0.200"])
      #expect(added.succeeded, "\(added)")
      #expect(added.stdout.contains("added web 10.47.0.200"))
      #expect(try daemonA.control(["dns", "add", "db", "10.47.0.201"]).succeeded)
      let start = Date()
      let listed = await waitUntil(timeout: 5, interval: 0.1) {
        Self.names(daemonB) == ["db 10.47.0.201 manual", "web 10.47.0.200 manual"]
      }
      #expect(listed, "B lists: \(Self.names(daemonB))\n\(net.diagnostics())")
      print("names: listed on B after \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
      let text = try daemonB.control(["dns", "list"])
      #expect(text.succeeded && text.stdout.contains("web\tmanual\t10.47.0.200\t-\t"))

      // Bad input is refused by the CLI with one line, and changes nothing.
      let bad = try daemonA.control(["dns", "add", "my_app", "10.47.0.9"])
      #expect(!bad.succeeded && bad.stderr.contains("not a valid name"))
      let missing = try daemonA.control(["dns", "remove", "nothere"])
      #expect(!missing.succeeded)

      #expect(try daemonA.control(["dns", "remove", "web"]).succeeded)
      let removed = await waitUntil(timeout: 5, interval: 0.1) {
        Self.names(daemonB) == ["db 10.47.0.201 manual"]
      }
      #expect(removed, "B still lists: \(Self.names(daemonB))")

      // A restarts: its manual names come back from its state directory, on A and on B.
      try daemonA.restart()
      let kept = await waitUntil(timeout: 20, interval: 0.2) {
        Self.names(daemonA) == ["db 10.47.0.201 manual"]
          && Self.names(daemonB) == ["db 10.47.0.201 manual"]
      }
      #expect(kept, "A: \(Self.names(daemonA)) B: \(Self.names(daemonB))\n\(net.diagnostics())")
      let file = try String(
        contentsOf: daemonA.stateDirectory.appendingPathComponent("names"), encoding: .utf8)
      #expect(file.contains("db 10.47.0.201"))

      // A stops for good: B stops serving its names once A is unreachable.
      daemonA.stop()
      let gone = await waitUntil(timeout: 40, interval: 0.5) { Self.names(daemonB).isEmpty }
      #expect(gone, "B still lists A's names after A stopped: \(Self.names(daemonB))")
    }
  }
}
