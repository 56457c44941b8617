import Foundation
import Testing

extension MeshIntegration {
  /// Rotating the cluster secret host by host with `--next-secret-file` and SIGHUP, while
  /// handshakes keep happening, loses not one packet.
  @Suite("Secret rotation without downtime")
  struct SecretRotationTests {
    @Test("S1 -> S2 in four SIGHUP phases under rekeys every 3 s: no ping lost")
    func rotation() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let s1 = SecretFiles.read(try net.makeSecretFile(named: "s1"))
      let s2 = SecretFiles.read(try net.makeSecretFile(named: "s2"))
      var files: [Int: (current: URL, next: URL)] = [:]
      for host in [a, b] {
        let current = net.workDirectory.appendingPathComponent("current\(host.index)")
        let next = net.workDirectory.appendingPathComponent("next\(host.index)")
        try SecretFiles.writePrivate(s1, to: current)
        try SecretFiles.writePrivate(s1, to: next)
        files[host.index] = (current, next)
      }
      let rekey = ["--debug-rekey-after-seconds", "3"]
      let daemonA = try net.startMeshd(
        on: a, peers: [b], secret: files[1]!.current,
        extraArguments: rekey + ["--next-secret-file", files[1]!.next.path])
      let daemonB = try net.startMeshd(
        on: b, secret: files[2]!.current,
        extraArguments: rekey + ["--next-secret-file", files[2]!.next.path])
      try await net.requireEstablished(a, b)
      try await net.requirePing(from: a, to: b.overlayIP)
      let bID = try net.status(b).peerID
      let handshakesBefore = try net.status(a).peer(id: bID)?.handshakesCompleted ?? 0

      // 110 pings at 0.2 s: 22 s, covering every phase.
      let pinger = try net.spawn(
        in: a, name: "rotation-ping",
        ["ping", "-n", "-i", "0.2", "-c", "110", "-W", "1", b.overlayIP])
      let daemons = [1: daemonA, 2: daemonB]
      func phase(_ host: Int, current: String? = nil, next: String? = nil) throws {
        if let current { try SecretFiles.writePrivate(current, to: files[host]!.current) }
        if let next { try SecretFiles.writePrivate(next, to: files[host]!.next) }
        daemons[host]!.process.send(signal: SIGHUP)
      }
      try await Task.sleep(nanoseconds: 3_500_000_000)
      // Phase 1: both accept S2 as well.
      try phase(1, next: s2)
      try phase(2, next: s2)
      try await Task.sleep(nanoseconds: 4_000_000_000)
      // Phase 2: S2 becomes current, host by host.
      try phase(1, current: s2, next: s1)
      try await Task.sleep(nanoseconds: 4_000_000_000)
      try phase(2, current: s2, next: s1)
      try await Task.sleep(nanoseconds: 4_000_000_000)
      // Phase 3: S1 is gone.
      try phase(1, next: s2)
      try phase(2, next: s2)
      #expect(pinger.waitForExit(timeout: 15), "ping did not finish")
      let log = pinger.log()
      #expect(
        log.contains(" 0% packet loss"),
        "packets lost during rotation:\n\(log.suffix(400))\n\(net.diagnostics())")
      let handshakesAfter = try net.status(a).peer(id: bID)?.handshakesCompleted ?? 0
      #expect(
        handshakesAfter >= handshakesBefore + 4,
        "handshakes_completed \(handshakesBefore) -> \(handshakesAfter)")
      for host in [a, b] {
        let logText = net.meshd(on: host)?.process.log() ?? ""
        #expect(!logText.contains("reload failed"), "\(host): a reload failed")
      }
      // After phase 3 only S2 works: a fresh handshake with S2 alone still succeeds.
      #expect(await net.waitForPing(from: a, to: b.overlayIP, timeout: 5))
    }
  }
}
