import Foundation
import Testing

extension MeshIntegration {
  /// Identities that go bad: a state directory copied to a second host.
  @Suite("Fault: two hosts with one key")
  struct FaultIdentityTests {
    @Test("a clone of B's key is held off on A and reported on every host; pings to B work")
    func duplicateKeyIsHeldOff() async throws {
      let net = try TestNetwork(hostCount: 4)
      defer { net.shutdown() }
      let (a, b, c, d) = (net.host(1), net.host(2), net.host(3), net.host(4))
      let secret = try net.makeSecretFile()
      let daemonA = try net.startMeshd(on: a, peers: [b], secret: secret)
      let daemonB = try net.startMeshd(on: b, secret: secret)
      let daemonD = try net.startMeshd(on: d, peers: [a], secret: secret)
      try await net.requirePing(from: a, to: b.overlayIP)
      try await net.requirePing(from: d, to: b.overlayIP)
      let keyB = try #require(try net.status(b).peerID)

      // C starts with a copy of B's private key, as a cloned VM would.
      let stateC = net.workDirectory.appendingPathComponent("state\(c.index)")
      try FileManager.default.createDirectory(
        at: stateC, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      let keyFile = stateC.appendingPathComponent("private.key")
      try FileManager.default.copyItem(
        at: daemonB.stateDirectory.appendingPathComponent("private.key"), to: keyFile)
      try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
      try net.startMeshd(on: c, peers: [a], secret: secret)
      let cloned = await waitUntil(timeout: 15) { (try? net.status(c))?.peerID == keyB }
      #expect(cloned, "C runs with B's identity\n\(net.diagnostics())")

      // A reports the duplicate: status names both endpoints, the log has the warning.
      let detected = await waitUntil(timeout: 40, interval: 0.5) {
        (try? net.status(a))?.peers.contains { $0.peerID == keyB && $0.duplicateKey != nil }
          == true
      }
      #expect(detected, "A never reported the duplicate key\n\(net.diagnostics())")
      let row = try #require(try net.status(a).peers.first { $0.peerID == keyB })
      #expect(row.endpoint == b.endpoint(reachableFrom: a))
      #expect(row.duplicateKey?["kept"] == row.endpoint)
      #expect(row.duplicateKey?["refused"] == c.endpoint(reachableFrom: a))
      #expect((row.drops["duplicate_key"] ?? 0) >= 1)
      #expect(daemonA.process.logTail(lines: 400).contains("two hosts use the key of"))

      // The signed alert of the host that saw both reaches every member: B (whose key it is)
      // and D report it too, in status, in a warning and in the metric. (D may have met the
      // clone itself, dialled from gossip: then its own warning is the one it logs.)
      for (host, daemon, lines) in [
        (a, daemonA, ["two hosts use the key of"]),
        (b, daemonB, ["another live host uses this host's key"]),
        (d, daemonD, ["two live hosts appear to use the key of", "two hosts use the key of"]),
      ] {
        let reported = await waitUntil(timeout: 15, interval: 0.5) {
          (try? net.status(host))?.contestedKeys.contains(keyB) == true
        }
        #expect(reported, "host \(host.index) does not report B's key\n\(net.diagnostics())")
        let log = daemon.process.logTail(lines: 400)
        #expect(lines.contains { log.contains($0) }, "host \(host.index)")
        let metrics = try Shell.run(
          ["curl", "-s", "--unix-socket", daemon.socket.path, "http://meshd/metrics"], timeout: 10)
        #expect(metrics.stdout.contains("meshd_contested_keys 1"), "host \(host.index)")
      }

      // Pings from A to B (the host that held the key first) keep working.
      var answered = 0
      for _ in 0..<20 where a.ping(b.overlayIP) { answered += 1 }
      #expect(answered >= 18, "only \(answered)/20 pings answered\n\(net.diagnostics())")
      let changes =
        daemonA.process.logTail(lines: 2000).components(
          separatedBy: "endpoint changed: \(keyB)"
        ).count - 1
      #expect(changes <= 2, "the endpoint flapped \(changes) times")
      print("duplicate key: \(answered)/20 pings to B answered, \(changes) endpoint changes on A")
    }
  }
}
