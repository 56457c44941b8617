import Foundation
import MeshCore
import Testing

extension MeshIntegration {
  /// SIGKILL at random moments, during first start (key creation) and during known-peers
  /// rewrites, never leaves a torn state file, a new identity, or a pile of temporary files.
  @Suite("Crash safety of the state directory")
  struct CrashSafetyTests {
    @Test("40 seeded SIGKILLs during state writes: same identity, parseable files, clean start")
    func killDuringWrites() async throws {
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let host = net.host(1)
      let secret = try net.makeSecretFile()
      let daemon = try net.startMeshd(on: host, secret: secret)
      let state = StateDirectory(path: daemon.stateDirectory.path)
      let churnScript = net.workDirectory.appendingPathComponent("churn.py")
      try ControlSocketClient.churn.write(to: churnScript, atomically: true, encoding: .utf8)
      _ = try net.spawn(
        in: host, name: "churn", ["python3", churnScript.path, daemon.socket.path, "60"])

      var rng = SplitMix64(seed: 0x6d65_7368)
      var identity: String?
      let deadline = Date().addingTimeInterval(35)
      var iterations = 0
      var tmpHighWater = 0
      for i in 0..<40 where Date() < deadline {
        iterations += 1
        let firstStart = i < 10
        if firstStart { try? FileManager.default.removeItem(at: daemon.stateDirectory) }
        if i > 0 { try daemon.restart() }
        let delay = firstStart ? rng.next() % 100 : rng.next() % 300
        try await Task.sleep(nanoseconds: (delay + 20) * 1_000_000)
        daemon.killHard()

        // The key is either absent (killed before it was written) or whole.
        let keyFile = daemon.stateDirectory.appendingPathComponent("private.key")
        if FileManager.default.fileExists(atPath: keyFile.path) {
          let key = try #require(
            try? StateDirectory.readKey(keyFile.path), "iteration \(i): torn key file")
          if firstStart {
            identity = key.publicKey.base64
          } else {
            if identity == nil { identity = key.publicKey.base64 }
            #expect(key.publicKey.base64 == identity, "iteration \(i): the identity changed")
          }
        } else if firstStart {
          identity = nil
        } else {
          Issue.record("iteration \(i): the key file vanished")
        }
        #expect(throws: Never.self, "iteration \(i): known-peers torn") {
          _ = try state.loadKnownPeers()
        }
        let tmp =
          (try? FileManager.default.contentsOfDirectory(atPath: state.path))?
          .filter { $0.contains(".tmp.") } ?? []
        tmpHighWater = max(tmpHighWater, tmp.count)
      }
      #expect(iterations >= 20, "only \(iterations) iterations in time")

      // After all that, the daemon starts, keeps its identity and cleans up stale temporaries.
      try daemon.restart()
      let up = await waitUntil(timeout: 10) { (try? daemon.status())?.publicKey != nil }
      #expect(up, "meshd does not start after the kills\n\(daemon.diagnostics())")
      #expect(try daemon.status().publicKey == identity)
      let leftovers =
        (try? FileManager.default.contentsOfDirectory(atPath: state.path))?
        .filter { $0.contains(".tmp.") && !$0.hasSuffix(".tmp.\(daemon.pid)") } ?? []
      #expect(leftovers.isEmpty, "stale temporary files after restart: \(leftovers)")
      #expect(tmpHighWater <= 2, "temporary files piled up: \(tmpHighWater)")
      print("crash safety: \(iterations) kills, at most \(tmpHighWater) temporary file(s) seen")
    }
  }
}

/// A small seeded generator (SplitMix64), so a failing run can be repeated exactly.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  /// Starts the sequence at `seed`.
  init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
