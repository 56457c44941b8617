import Foundation
import Testing

extension MeshIntegration {
  /// A host cut off from the underlay comes back by itself once the link heals.
  @Suite("Mesh: partition and heal")
  struct MeshPartitionTests {
    @Test("host 3's cable cut for 20 s: 1↔2 carry on; after the heal 3 is reachable in 30 s")
    func partitionAndHeal() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let hosts = net.hosts
      let (h1, h2, h3) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: h1, secret: secret)
      try net.startMeshd(on: h2, peers: [h1], secret: secret)
      try net.startMeshd(on: h3, peers: [h1], secret: secret)
      try await net.requireFullMesh(hosts, timeout: 25)
      try await net.requirePingMatrix(hosts)

      // Cut 3's cable at the switch, and keep 1↔2 busy for 20 s while it is cut: long enough
      // for every session with 3 to be given up as dead (15 s of silence).
      try net.setLink(of: h3, up: false)
      #expect(!h1.ping(h3.overlayIP), "3 is cut off")
      let cutEnds = Date().addingTimeInterval(20)
      var failures = 0
      while Date() < cutEnds {
        if !h1.ping(h2.overlayIP) { failures += 1 }
        try? await Task.sleep(nanoseconds: 1_000_000_000)
      }
      #expect(failures == 0, "1→2 pings failed \(failures) times during the partition")
      #expect(!h2.ping(h3.overlayIP), "3 is still cut off")

      try net.setLink(of: h3, up: true)
      let healed = Date()
      try await net.requirePing(from: h1, to: h3.overlayIP, timeout: 30)
      try await net.requirePing(
        from: h3, to: h2.overlayIP, timeout: max(1, 30 - Self.since(healed)))
      let took = Self.since(healed)
      print("partition: traffic resumed \(String(format: "%.1f", took)) s after the heal")
      #expect(took <= 30)
      try await net.requireFullMesh(hosts, timeout: 40)
    }

    /// Seconds since `date`.
    static func since(_ date: Date) -> Double { Date().timeIntervalSince(date) }
  }
}
