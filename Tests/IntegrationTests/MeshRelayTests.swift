import Foundation
import Testing

extension MeshIntegration {
  /// Relay: two hosts on separate underlay segments reach each other through a third host on
  /// both, which does no IP forwarding.
  @Suite("Mesh: relay")
  struct MeshRelayTests {
    @Test("A (segment 1) and C (segment 2) ping through B; A's route to C is relayed via B")
    func relayAcrossSegments() async throws {
      let net = try TestNetwork(hostCount: 3) { [[1], [1, 2], [2]][$0 - 1] }
      defer { net.shutdown() }
      let (a, b, c) = (net.host(1), net.host(2), net.host(3))

      // The underlay really is split: B does not route, and A has no way to C's address.
      let forwarding = try b.run(["sysctl", "-n", "net.ipv4.ip_forward"]).check().stdout
      #expect(
        forwarding.trimmingCharacters(in: .whitespacesAndNewlines) == "0",
        "B must not forward IP between the segments: ip_forward=\(forwarding)")
      #expect(!a.ping(c.underlayIP(segment: 2)), "A must not reach C's underlay address")

      let secret = try net.makeSecretFile()
      try net.startMeshd(on: b, secret: secret)
      try net.startMeshd(on: a, peers: [b], secret: secret)
      try net.startMeshd(on: c, peers: [b], secret: secret)

      try await net.requirePing(from: a, to: c.overlayIP, timeout: 25)
      try await net.requirePing(from: c, to: a.overlayIP, timeout: 10)
      #expect(a.ping(c.overlayIP, count: 3), "repeated pings A→C over the relay")

      let idB = try net.status(b).peerID
      let idC = try net.status(c).peerID
      let idA = try net.status(a).peerID
      let statusA = try net.status(a)
      let routeAC = try #require(
        statusA.route(to: idC), "A has a route to C\n\(net.diagnostics())")
      #expect(routeAC.isRelayed, "A reaches C relayed: \(routeAC)")
      #expect(routeAC.nextHop == idB, "A's next hop to C is B (\(idB ?? "nil")): \(routeAC)")
      #expect(routeAC.hops == 2, "A→B→C is two hops: \(routeAC)")
      #expect(!statusA.isEstablished(with: idC), "A cannot have a direct session with C")
      #expect(statusA.route(to: idB)?.isDirect == true, "A reaches B directly")
      #expect(statusA.members == 3, "A's topology holds all three hosts")

      let routeCA = try #require(try net.status(c).route(to: idA), "C has a route to A")
      #expect(routeCA.isRelayed && routeCA.nextHop == idB, "C reaches A relayed via B")
    }

    @Test("a 20 MB TCP transfer A→C through B arrives intact, end to end: B opens none of it")
    func relayedBulkTransfer() async throws {
      let net = try TestNetwork(hostCount: 3) { [[1], [1, 2], [2]][$0 - 1] }
      defer { net.shutdown() }
      let (a, b, c) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: b, secret: secret)
      try net.startMeshd(on: a, peers: [b], secret: secret)
      try net.startMeshd(on: c, peers: [b], secret: secret)
      try await net.requirePing(from: a, to: c.overlayIP, timeout: 25)
      let idC = try net.status(c).peerID
      #expect(try net.status(a).route(to: idC)?.isRelayed == true, "A reaches C relayed")
      // The pings started A's end-to-end session with C; the transfer goes through it.
      let idA = try net.status(a).peerID
      let endToEnd = await waitUntil(timeout: 10) {
        (try? net.status(a).route(to: idC)?.endToEnd) == true
          && (try? net.status(c).route(to: idA)?.endToEnd) == true
      }
      #expect(endToEnd, "A's and C's routes to each other are end to end\n\(net.diagnostics())")
      let forwardedBefore = try net.status(b).forwardedDatagrams ?? 0

      let file = try TcpTransfer.randomFile(in: net, name: "relayed.bin", count: 20 << 20)
      let transfer = try await TcpTransfer.run(in: net, from: a, to: c, file: file)
      #expect(transfer.isIntact, "\(transfer.summary)\n\(net.diagnostics())")
      // 20 MB in datagrams of at most 64 KiB: B passed on at least 320 unopened.
      let forwarded = (try net.status(b).forwardedDatagrams ?? 0) - forwardedBefore
      #expect(forwarded >= 320, "B forwarded \(forwarded) datagrams unopened")
      #expect([a, b, c].allSatisfy { net.meshd(on: $0)?.isRunning == true })
    }
  }
}
