import Foundation
import Testing

extension MeshIntegration {
  /// Strict mode: `--allowed-keys-file`, re-read on SIGHUP, revokes a member without a restart.
  @Suite("Allow-list revocation")
  struct AllowListTests {
    @Test("a key removed from the allow-list is cut off after SIGHUP; others keep working")
    func revocation() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, c) = (net.host(1), net.host(2), net.host(3))
      let keys = try [a, b, c].map { try SecretFiles.makeIdentity(for: $0, in: net) }
      let allowed = net.workDirectory.appendingPathComponent("allowed-keys")
      try SecretFiles.writePrivate("# members\n\(keys.joined(separator: "\n"))\n", to: allowed)
      let secret = try net.makeSecretFile()
      let rekey = ["--debug-rekey-after-seconds", "5"]
      let daemonA = try net.startMeshd(
        on: a, peers: [b, c], secret: secret,
        extraArguments: rekey + ["--allowed-keys-file", allowed.path])
      // B and C also talk directly, so a relay B -> C -> A is available to a revoked B.
      try net.startMeshd(on: b, peers: [c], secret: secret, extraArguments: rekey)
      try net.startMeshd(on: c, secret: secret, extraArguments: rekey)
      try await net.requireEstablished(a, b)
      try await net.requireEstablished(a, c)
      try await net.requireEstablished(b, c)
      try await net.requirePing(from: b, to: a.overlayIP)
      try await net.requirePing(from: c, to: a.overlayIP)
      let notAllowedBefore = try net.status(a).dropCount("not_allowed")

      // Revoke B: rewrite the file without its key, then SIGHUP A.
      try SecretFiles.writePrivate("# members\n\(keys[0])\n\(keys[2])\n", to: allowed)
      daemonA.process.send(signal: SIGHUP)
      let start = Date()
      let cutOff = await waitUntil(timeout: 8, interval: 0.3) {
        !b.ping(a.overlayIP, count: 1, waitSeconds: 1)
      }
      let cutOffAfter = Date().timeIntervalSince(start)
      #expect(cutOff, "B still reaches A 8 s after the revocation\n\(net.diagnostics())")
      // It stays cut off across B's handshake attempts, directly or relayed through C.
      #expect(
        !b.ping(a.overlayIP, count: 10, waitSeconds: 1),
        "B reached A again after being cut off (\(cutOffAfter) s)\n\(net.diagnostics())")
      #expect(c.ping(a.overlayIP, count: 3), "C must still reach A")
      #expect(a.ping(c.overlayIP, count: 3), "A must still reach C")
      // B learns nothing at once (its packets hit indices A wiped: unknown_index); it starts a
      // new handshake when it has heard nothing for deadPeerTimeout (15 s), which A refuses.
      let refused = await waitUntil(timeout: max(1, 25 - Date().timeIntervalSince(start))) {
        ((try? net.status(a))?.dropCount("not_allowed") ?? 0) > notAllowedBefore
      }
      #expect(refused, "A's not_allowed counter did not rise\n\(net.diagnostics())")
      let sa = try net.status(a)
      #expect(
        sa.peers.first { $0.publicKey == keys[1] }?.isEstablished != true,
        "A still lists B as established")
    }
  }
}
