import Foundation
import Testing

extension MeshIntegration {
  /// What meshd tells an operator about faults: a host of another cluster secret is named in
  /// one rate-limited warning, a peer that goes down is named with the reason and shows as
  /// down in status, and `--log-format json` writes one JSON object a line.
  @Suite("Diagnostics")
  struct DiagnosticsTests {
    /// The current log of `daemon`.
    static func log(_ daemon: MeshdProcess) -> String {
      (try? String(contentsOf: daemon.process.logURL, encoding: .utf8)) ?? ""
    }

    /// The raw status document of `daemon`.
    static func statusDocument(_ daemon: MeshdProcess) throws -> [String: Any] {
      let result = try daemon.control(["status", "--json"])
      guard result.succeeded,
        let doc = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
          as? [String: Any]
      else { throw HarnessError("status failed: \(result)") }
      return doc
    }

    @Test("a host with another secret is named once in a warning; json lines parse")
    func wrongSecretIsNamed() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, c) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      let wrong = try net.makeSecretFile(named: "wrong-secret")
      let meshdA = try net.startMeshd(
        on: a, secret: secret, extraArguments: ["--log-format", "json"])
      let meshdC = try net.startMeshd(on: c, peers: [a], secret: wrong)
      // C retries every few seconds; A names it once, then counts quietly for a minute.
      let named = await waitUntil(timeout: 15) {
        DiagnosticsTests.log(meshdA).contains(c.underlayIP)
      }
      #expect(named, "A's log does not name C:\n\(meshdA.diagnostics())")
      let attempts = await waitUntil(timeout: 20) {
        ((try? DiagnosticsTests.statusDocument(meshdC)["peers"] as? [[String: Any]])??
          .first?["attempts"] as? Int ?? 0) >= 3
      }
      #expect(attempts, "C made fewer than 3 attempts")
      var warnings: [[String: Any]] = []
      for line in DiagnosticsTests.log(meshdA).split(separator: "\n") {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object != nil, "not a JSON object: \(line)")
        guard let object else { continue }
        #expect(object["ts"] is String && object["level"] is String && object["msg"] is String)
        if (object["msg"] as? String)?.contains(c.underlayIP) == true { warnings.append(object) }
      }
      #expect(warnings.count == 1, "expected one rate-limited warning: \(warnings)")
      let message = warnings.first?["msg"] as? String ?? ""
      #expect(warnings.first?["level"] as? String == "warning")
      #expect(message.contains("different cluster secret"), "\(message)")

      // C's status says why its dial gets nowhere.
      let dial = (try DiagnosticsTests.statusDocument(meshdC)["peers"] as? [[String: Any]])?.first
      #expect(dial?["state"] as? String == "connecting")
      #expect((dial?["last_error"] as? String)?.contains("different cluster secret") == true)
    }

    @Test("a peer that stops is logged down by name with the reason, and shows as down")
    func peerDownIsNamed() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      let meshdA = try net.startMeshd(
        on: a, peers: [b], secret: secret, extraArguments: ["--nickname", "alpha"])
      let meshdB = try net.startMeshd(
        on: b, secret: secret, extraArguments: ["--nickname", "beta"])
      try await net.requireEstablished(a, b)
      let up = DiagnosticsTests.log(meshdA).split(separator: "\n").first {
        $0.hasPrefix("peer up: beta")
      }
      #expect(up != nil, "no 'peer up: beta' line, message first:\n\(meshdA.diagnostics())")
      meshdB.killHard()
      // Dead-peer detection: keepalive (10 s) plus rekey timeout (5 s).
      let down = await waitUntil(timeout: 40, interval: 0.5) {
        DiagnosticsTests.log(meshdA).contains("peer down: beta")
      }
      #expect(down, "no 'peer down: beta' line:\n\(meshdA.diagnostics())")
      let line = DiagnosticsTests.log(meshdA).split(separator: "\n").first {
        $0.hasPrefix("peer down: beta")
      }
      #expect(line?.contains("no answer") == true, "\(String(describing: line))")
      let peer = (try DiagnosticsTests.statusDocument(meshdA)["peers"] as? [[String: Any]])?.first {
        $0["nickname"] as? String == "beta"
      }
      #expect(peer?["state"] as? String == "down")
      #expect(peer?["session_age_seconds"] is NSNull)
      #expect((peer?["state_seconds"] as? Double).map { $0 >= 0 } == true)
      #expect((peer?["last_error"] as? String)?.contains("no answer") == true)
      let text = try meshdA.control(["status"])
      #expect(text.stdout.contains("down for"), "\(text.stdout)")
    }
  }
}
