import Foundation
import Testing

extension MeshIntegration {
  /// An on-path attacker records the underlay and sends it again later, as is or with bits
  /// flipped: nothing of it may reach the other host's bridge, and every copy is counted.
  @Suite("Replay attacks on the underlay")
  struct ReplayAttackTests {
    /// The ICMP payload pattern that marks the captured pings (`ping -p`).
    static let marker = "6d657368726570"

    @Test("captured transport datagrams replayed as is and bit-flipped deliver nothing")
    func transportReplay() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()

      // Record A's underlay while marked pings go through the tunnel.
      let underlay = try await PacketCapture(
        in: net, namespace: a.namespace, interface: NetnsHost.underlayDevice, name: "a-underlay")
      let pings = try a.run(
        ["ping", "-n", "-q", "-c", "10", "-i", "0.2", "-W", "1", "-p", Self.marker, b.overlayIP])
      #expect(pings.succeeded, "\(pings)")
      try await Task.sleep(nanoseconds: 300_000_000)
      underlay.stop()

      let aID = try net.status(a).peerID
      for mutation in [UnderlayReplay.Mutation.none, .flipBits] {
        let before = try net.status(b)
        let bridge = try await PacketCapture(
          in: net, namespace: b.namespace, interface: NetnsHost.bridge,
          name: "b-bridge-\(mutation.rawValue)")
        let sent = try UnderlayReplay.replay(
          in: net, capture: underlay.file, from: a, to: b, types: [4], mutation: mutation)
        #expect(sent >= 5, "only \(sent) transport datagrams from A to B were captured")
        let reason = mutation == .none ? "replay" : "auth"
        let counted = await waitUntil(timeout: 5) {
          guard let now = try? net.status(b) else { return false }
          return now.dropCount(reason) - before.dropCount(reason) >= sent
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        bridge.stop()
        let after = try net.status(b)
        #expect(
          counted,
          "\(mutation): \(reason) drops \(before.dropCount(reason)) -> \(after.dropCount(reason)) for \(sent) datagrams\n\(net.diagnostics())"
        )
        let leaked = try bridge.count(matching: ["icmp[icmptype] == icmp-echo"])
        #expect(leaked == 0, "\(mutation): \(leaked) replayed pings reached B's bridge")
        let peer = after.peer(id: aID)
        #expect(peer?.isEstablished == true, "the real session must survive the replay")
      }
      #expect(await net.waitForPing(from: a, to: b.overlayIP, timeout: 5), "mesh still works")
    }

    @Test("a handshake initiation replayed 5 s later creates no session")
    func initiationReplay() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: b, secret: secret)
      let daemonA = try net.startMeshd(on: a, peers: [b], secret: secret)
      try await net.requireEstablished(a, b)
      // Capture a fresh initiation: A restarted (same state) opens a new session at once.
      let underlay = try await PacketCapture(
        in: net, namespace: a.namespace, interface: NetnsHost.underlayDevice, name: "a-hs")
      daemonA.killHard()
      try daemonA.restart()
      try await net.requireEstablished(a, b)
      try await Task.sleep(nanoseconds: 500_000_000)
      underlay.stop()

      try await Task.sleep(nanoseconds: 5_000_000_000)
      let aID = try net.status(a).peerID
      let before = try net.status(b)
      let handshakesBefore = before.peer(id: aID)?.handshakesCompleted ?? -1
      let sent = try UnderlayReplay.replay(
        in: net, capture: underlay.file, from: a, to: b, types: [1])
      #expect(sent >= 1, "no initiation from A to B was captured")
      let counted = await waitUntil(timeout: 5) {
        guard let now = try? net.status(b) else { return false }
        return now.dropCount("replayed_initiation") > before.dropCount("replayed_initiation")
      }
      try await Task.sleep(nanoseconds: 1_000_000_000)
      let after = try net.status(b)
      #expect(counted, "replayed_initiation did not rise\n\(net.diagnostics())")
      #expect(
        after.peer(id: aID)?.handshakesCompleted == handshakesBefore,
        "handshakes_completed for A changed: \(handshakesBefore) -> \(after.peer(id: aID)?.handshakesCompleted ?? -1)"
      )
      #expect(after.peer(id: aID)?.isEstablished == true)
      #expect(await net.waitForPing(from: a, to: b.overlayIP, timeout: 5), "mesh still works")
    }
  }
}
