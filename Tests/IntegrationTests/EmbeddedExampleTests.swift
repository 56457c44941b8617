import Foundation
import Testing

extension MeshIntegration {
  /// The embedding example (`Examples/EmbedMesh`, public API only) joins a real mesh.
  @Suite("Embedding example")
  struct EmbeddedExampleTests {
    @Test("embed-mesh, built from the public API alone, meets a meshd and passes traffic")
    func embeddedNodeJoinsTheMesh() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: b, secret: secret)
      let meshd = try IntegrationEnvironment.meshdBinary()
      let example = URL(fileURLWithPath: meshd).deletingLastPathComponent()
        .appendingPathComponent("embed-mesh").path
      #expect(
        FileManager.default.isExecutableFile(atPath: example), "build it first: swift build")
      let state = net.workDirectory.appendingPathComponent("embedded-state").path
      // The example runs 8 s, pinging works while it is up; then it prints its peers.
      async let run = try a.run(
        [example, "br0", a.meshEndpoint, secret.path, state, "8", b.meshEndpoint], timeout: 30)
      try await net.requirePing(from: a, to: b.overlayIP)
      let result = try await run
      #expect(result.succeeded, "\(result)")
      #expect(result.stdout.contains("established"), "\(result.stdout)")
      #expect(result.stdout.contains("event: peer up"), "\(result.stdout)")
    }
  }
}
