import Foundation
import Testing

extension MeshIntegration {
  /// Checks the harness itself, with no `meshd`: namespaces, veths and clean-up.
  @Suite("Harness self-test")
  struct HarnessSelfTests {
    @Test("two namespaces on the switch reach each other over the underlay, then vanish")
    func underlayAndCleanup() async throws {
      let ip = try IntegrationEnvironment.ip()
      let net = try TestNetwork(hostCount: 2, bridges: false)
      let (a, b) = (net.host(1), net.host(2))
      let names = [net.switchNamespace, a.namespace, b.namespace]
      let workDirectory = net.workDirectory
      do {
        defer { net.shutdown() }
        let listed = try Shell.run([ip, "netns", "list"]).check().stdout
        for name in names { #expect(listed.contains(name), "namespace \(name) missing") }
        #expect(await net.waitForPing(from: a, to: b.underlayIP, timeout: 5))
        #expect(await net.waitForPing(from: b, to: a.underlayIP, timeout: 5))
        let links = try Shell.run([ip, "-n", a.namespace, "-o", "addr", "show"]).check().stdout
        #expect(links.contains("192.0.2.1/24"))
        let probe = try net.spawn(in: a, name: "sleeper", ["sleep", "60"])
        #expect(probe.isRunning)
        // Children must start with a clean signal mask, so SIGTERM stops them at once.
        let status = try String(contentsOfFile: "/proc/\(probe.pid)/status", encoding: .utf8)
        #expect(status.contains("SigBlk:\t0000000000000000"), "child signal mask: \(status)")
        let start = Date()
        probe.stop(grace: 3)
        #expect(!probe.isRunning)
        #expect(Date().timeIntervalSince(start) < 2, "SIGTERM stopped the child promptly")
      }
      let after = try Shell.run([ip, "netns", "list"]).check().stdout
      for name in names { #expect(!after.contains(name), "namespace \(name) left behind") }
      if !IntegrationEnvironment.keepWorkDirectories {
        #expect(!FileManager.default.fileExists(atPath: workDirectory.path))
      }
    }

    @Test("a command that runs past its timeout is killed and reported")
    func shellTimeout() throws {
      let result = try Shell.run(["sleep", "30"], timeout: 0.3)
      #expect(result.timedOut)
      #expect(!result.succeeded)
    }
  }
}

/// Decoding of the status document; needs no root.
@Suite("StatusView decoding")
struct StatusViewTests {
  @Test("decodes the documented example and tolerates extra fields")
  func decodesExample() throws {
    let json = """
      {"peer_id":"0123456789abcdef","nickname":"a","public_key":"AAAA","listen":"192.0.2.1:6786",
       "bridge":"br0","tap":"mshtap0","extra":{"x":1},
       "peers":[{"peer_id":"fedcba9876543210","nickname":"b","public_key":"BBBB",
         "endpoint":"192.0.2.2:6786","state":"established","session_age_seconds":1.5,
         "last_handshake_seconds_ago":1.5,"rx_bytes":10,"tx_bytes":20,"rx_frames":1,
         "tx_frames":2,"handshakes_completed":3,"drops":{"replay":1,"auth":2,"malformed":3},
         "future_field":[1,2]}],
       "drops":{"mac1":4,"malformed":5,"nested":{"ignored":true}}}
      """
    let status = try StatusView.decode(json)
    #expect(status.peerID == "0123456789abcdef")
    #expect(status.peers.count == 1)
    let peer = try #require(status.peer(id: "fedcba9876543210"))
    #expect(peer.isEstablished)
    #expect(peer.endpointHost == "192.0.2.2")
    #expect(peer.rxBytes == 10 && peer.txBytes == 20 && peer.handshakesCompleted == 3)
    #expect(status.dropCount("malformed") == 8)
    #expect(status.dropCount("mac1") == 4)
    #expect(status.totalDrops == 15)
  }

  @Test("decodes routes, members and mac_table_size")
  func decodesRoutes() throws {
    let json = """
      {"peer_id":"0000000000000001","members":3,"mac_table_size":2,"peers":[],
       "routes":[{"peer_id":"0000000000000002","nickname":"b","next_hop":"0000000000000002",
         "hops":1,"connection":"direct"},
        {"peer_id":"0000000000000003","nickname":"c","next_hop":"0000000000000002",
         "hops":2,"connection":"relayed"}]}
      """
    let status = try StatusView.decode(json)
    #expect(status.members == 3 && status.macTableSize == 2)
    #expect(status.route(to: "0000000000000002")?.isDirect == true)
    let relayed = try #require(status.route(to: "0000000000000003"))
    #expect(relayed.isRelayed && relayed.hops == 2 && relayed.nextHop == "0000000000000002")
    #expect(status.route(to: "0000000000000009") == nil)
  }

  @Test("a non-JSON document is an error that shows the text")
  func rejectsGarbage() {
    #expect(throws: HarnessError.self) { try StatusView.decode("not json") }
  }
}
