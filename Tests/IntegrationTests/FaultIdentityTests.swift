import Foundation
import Testing

extension MeshIntegration {
  /// Identities that go bad: a state directory copied to a second host.
  @Suite("Fault: two hosts with one key")
  struct FaultIdentityTests {
    @Test("a clone of B's key is detected and refused on A; A's pings to B keep working")
    func duplicateKeyIsHeldOff() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, c) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      let daemonA = try net.startMeshd(on: a, peers: [b], secret: secret)
      let daemonB = try net.startMeshd(on: b, secret: secret)
      try await net.requirePing(from: a, to: b.overlayIP)
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
