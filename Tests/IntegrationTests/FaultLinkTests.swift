import Foundation
import Testing

extension MeshIntegration {
  /// Issue 12: the TAP and the bridge changing under a running daemon. Before, a deleted TAP
  /// made the daemon spin at 56-107 % CPU writing `TAP read failed … errno 77` about 150,000
  /// times a second, for good; a deleted and recreated bridge left the TAP unattached, with
  /// no log line and a status that still said br0.
  @Suite("Faults: the TAP and the bridge change under the daemon")
  struct FaultLinkTests {
    /// The daemon's CPU time so far (user + system), in seconds, from `/proc/PID/stat`.
    static func cpuSeconds(pid: Int32) -> Double? {
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return nil }
      // After "pid (comm)": state is field 3, utime 14, stime 15.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12])
      else { return nil }
      return (user + system) / 100  // USER_HZ, fixed at 100 for /proc
    }

    static func fileSize(_ url: URL) -> Int {
      let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
      return (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }

    static func occurrences(of text: String, in url: URL) -> Int {
      let log = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
      return log.components(separatedBy: text).count - 1
    }

    /// `ip -o link show NAME` inside `host`'s namespace.
    static func link(_ name: String, on host: NetnsHost) throws -> String {
      try host.run([try IntegrationEnvironment.ip(), "-o", "link", "show", name]).stdout
    }

    @Test("TAP deleted: recreated and re-attached with one log line, no log flood, no spin")
    func tapDeleted() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()
      let daemon = try #require(net.meshd(on: a))
      let logURL = daemon.process.logURL
      let tapBefore = try Self.link("meshtap0", on: a)
      let logBefore = Self.fileSize(logURL)
      let cpuBefore = try #require(Self.cpuSeconds(pid: daemon.pid))

      try a.run([try IntegrationEnvironment.ip(), "link", "del", "meshtap0"]).check()
      try await Task.sleep(nanoseconds: 10_000_000_000)

      let logGrowth = Self.fileSize(logURL) - logBefore
      let cpuGrowth = try #require(Self.cpuSeconds(pid: daemon.pid)) - cpuBefore
      print(
        "TAP deleted: log grew \(logGrowth) B, CPU \(String(format: "%.2f", cpuGrowth)) s in 10 s")
      #expect(daemon.isRunning, "\(net.diagnostics())")
      #expect(logGrowth < 4096, "the log grew \(logGrowth) B in 10 s\n\(net.diagnostics())")
      #expect(cpuGrowth < 1.0, "the daemon used \(cpuGrowth) s of CPU in 10 s")
      #expect(
        Self.occurrences(of: "TAP meshtap0 lost", in: logURL) == 1,
        "one line for the lost TAP\n\(net.diagnostics())")

      let tapAfter = try Self.link("meshtap0", on: a)
      #expect(tapAfter.contains("master br0"), "the new TAP is a port of br0: \(tapAfter)")
      // Same MAC and MTU as at start.
      let mac = { (line: String) in line.components(separatedBy: "link/ether ").last?.prefix(17) }
      let mtu = { (line: String) in
        line.components(separatedBy: " mtu ").last?.split(separator: " ").first
      }
      #expect(mac(tapAfter) == mac(tapBefore), "\(tapBefore)\n\(tapAfter)")
      #expect(mtu(tapAfter) == mtu(tapBefore), "\(tapBefore)\n\(tapAfter)")
      try await net.requirePing(from: a, to: b.overlayIP)
      try await net.requirePing(from: b, to: a.overlayIP)
      #expect(try net.status(a).tapState == "up")
    }

    @Test("bridge deleted and recreated: one line each way, status says missing, TAP rejoins")
    func bridgeDeletedAndRecreated() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = try await net.startPair()
      let daemon = try #require(net.meshd(on: a))
      let logURL = daemon.process.logURL
      #expect(try net.status(a).bridgeState == "attached")

      try a.run([try IntegrationEnvironment.ip(), "link", "del", "br0"]).check()
      let missing = await waitUntil(timeout: 5) {
        (try? net.status(a).bridgeState) == "missing"
      }
      #expect(missing, "status says the bridge is missing\n\(net.diagnostics())")
      #expect(Self.occurrences(of: "bridge br0 deleted", in: logURL) == 1, "\(net.diagnostics())")

      let meshd = try IntegrationEnvironment.meshdBinary()
      let created = try a.run([
        meshd, "create-bridge", "--bridge", NetnsHost.bridge, "--address", a.overlayCIDR,
      ])
      #expect(created.succeeded, "\(created)")
      try await net.requirePing(from: a, to: b.overlayIP)
      try await net.requirePing(from: b, to: a.overlayIP)
      #expect(try net.status(a).bridgeState == "attached")
      #expect(Self.occurrences(of: "bridge br0 is back", in: logURL) == 1, "\(net.diagnostics())")
      #expect(Self.occurrences(of: "bridge br0 deleted", in: logURL) == 1)
      let tap = try Self.link("meshtap0", on: a)
      let bridge = try Self.link("br0", on: a)
      #expect(tap.contains("master br0"), "\(tap)")
      let mtu = { (line: String) in
        line.components(separatedBy: " mtu ").last?.split(separator: " ").first
      }
      #expect(mtu(bridge) == mtu(tap), "the bridge has the mesh MTU again:\n\(bridge)\n\(tap)")
    }

    @Test("bridge recreated without an address: it gets the IPAM claim's address back")
    func recreatedBridgeRegainsItsClaimAddress() async throws {
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let a = net.host(1)
      let ip = try IntegrationEnvironment.ip()
      let meshd = try IntegrationEnvironment.meshdBinary()
      // A bridge without an address, as the ifupdown hook makes it for IPAM.
      try a.run([ip, "link", "del", "br0"]).check()
      try a.run([meshd, "create-bridge", "--bridge", NetnsHost.bridge]).check()
      let secret = try net.makeSecretFile()
      try net.startMeshd(
        on: a, secret: secret, extraArguments: MemberAttackTests.ipamArguments)
      let addresses = { () -> String in
        (try? a.run([ip, "-4", "-o", "addr", "show", "dev", "br0"]).stdout) ?? ""
      }
      var subnet: String?
      let claimed = await waitUntil(timeout: 20) {
        subnet = (try? net.status(a))?.subnet
        return subnet != nil && addresses().contains("inet 10.48.")
      }
      #expect(claimed, "no claim or no bridge address\n\(net.diagnostics())")
      let before = addresses()

      try a.run([ip, "link", "del", "br0"]).check()
      _ = await waitUntil(timeout: 5) { (try? net.status(a).bridgeState) == "missing" }
      try a.run([meshd, "create-bridge", "--bridge", NetnsHost.bridge]).check()
      let back = await waitUntil(timeout: 10) {
        (try? net.status(a).bridgeState) == "attached" && addresses().contains("inet 10.48.")
      }
      #expect(back, "the recreated bridge has no claim address\n\(net.diagnostics())")
      let inet = { (text: String) in
        text.components(separatedBy: " inet ").last?.split(separator: " ").first
      }
      #expect(inet(addresses()) == inet(before), "\(before) then \(addresses())")
    }
  }
}
