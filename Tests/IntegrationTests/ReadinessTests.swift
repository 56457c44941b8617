import Foundation
import Testing

extension MeshIntegration {
  /// Start-up readiness, as systemd and Docker see it: `READY=1` on `$NOTIFY_SOCKET` only once
  /// the subnet is claimed, `STATUS=` lines before; the Docker environment file; `meshd
  /// docker-opts` saying "claim pending" (not "start it with --ipam-range") while the claim
  /// settles, and `--wait` waiting for it or timing out with a clear line.
  @Suite("Readiness")
  struct ReadinessTests {
    static let ipam = ["--ipam-range", "10.48.0.0/16", "--subnet-size", "24"]

    /// A string member of a `meshd status --json` document.
    static func member(_ key: String, of json: String) throws -> String? {
      let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
      return object?[key] as? String
    }

    @Test("Type=notify: STATUS= while the claim is pending, READY=1 only once claimed")
    func notifiesReadyAfterTheClaim() async throws {
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let host = net.host(1)
      let listener = try NotifyListener(
        path: net.workDirectory.appendingPathComponent("notify").path)
      let envFile = net.workDirectory.appendingPathComponent("run/meshd/docker.env").path
      let daemon = try net.startMeshd(
        on: host, secret: try net.makeSecretFile(),
        environment: ["NOTIFY_SOCKET": listener.path],
        extraArguments: Self.ipam + ["--docker-env-file", envFile])

      var messages: [String] = []
      var subnetAtReady: String?
      let deadline = Date().addingTimeInterval(30)
      while Date() < deadline, !messages.contains(where: { $0.contains("READY=1") }) {
        guard let message = listener.receive(timeout: 0.5) else { continue }
        messages.append(message)
        // The claim is made before READY=1 is sent: the status shows it at once.
        if message.contains("READY=1") {
          let json = try daemon.control(["status", "--json"]).check().stdout
          subnetAtReady = try ReadinessTests.member("subnet", of: json)
        }
      }
      try #require(
        messages.contains { $0.contains("READY=1") },
        "no READY=1 within 30 s; got \(messages)\n\(net.diagnostics())")
      let ready = try #require(messages.firstIndex { $0.contains("READY=1") })
      // The claim waits for the mesh's gossip (3 s): the wait was reported, before READY=1.
      #expect(
        messages[..<ready].contains {
          $0.contains("STATUS=claim pending: claiming a subnet of 10.48.0.0/16")
        },
        "\(messages)")
      #expect(!messages[..<ready].contains { $0.contains("READY=1") })
      let subnet = try #require(subnetAtReady, "no subnet in the status at READY=1")
      #expect(subnet.hasPrefix("10.48.") && subnet.hasSuffix(".0/24"), "\(subnet)")
      #expect(messages[ready].contains("STATUS=ready: subnet \(subnet) on br0"), "\(messages)")

      // The environment file was written before READY=1, with what docker-opts prints.
      let opts = try daemon.control(["docker-opts"]).check().stdout
        .trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(opts.hasPrefix("--bridge=br0 --fixed-cidr=\(subnet) --mtu="), "\(opts)")
      let env = try String(contentsOfFile: envFile, encoding: .utf8)
      #expect(env.contains("\nMESHD_DOCKER_OPTS=\"\(opts)\"\n"), "\(env)")
      #expect(env.contains("\nMESHD_SUBNET=\(subnet)\n"), "\(env)")
      #expect(env.contains("\nMESHD_BRIDGE=\"br0\"\n"), "\(env)")

      // A graceful stop says so.
      daemon.stop()
      var stopping = false
      while let message = listener.receive(timeout: 2) {
        if message.contains("STOPPING=1") { stopping = true }
      }
      #expect(stopping, "no STOPPING=1 at shutdown")
    }

    @Test("docker-opts: claim pending while the claim settles; --wait returns the options")
    func dockerOptsWaitsForTheClaim() async throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let host = net.host(1)
      let daemon = try net.startMeshd(
        on: host, secret: try net.makeSecretFile(), extraArguments: Self.ipam)
      let socket = daemon.socket.path
      let up = await waitUntil(timeout: 10, interval: 0.05) {
        FileManager.default.fileExists(atPath: socket)
      }
      try #require(up, "no control socket\n\(daemon.diagnostics())")

      // Asked at once, the daemon answers "claim pending", never "start it with --ipam-range".
      let early = try host.run([meshd, "docker-opts", "--socket", socket], timeout: 15)
      #expect(!early.succeeded)
      #expect(early.stderr.contains("claim pending"), "\(early)")
      #expect(!early.stderr.contains("--ipam-range"), "\(early)")

      let waited = try host.run(
        [meshd, "docker-opts", "--wait", "--timeout", "30", "--socket", socket], timeout: 40)
      #expect(waited.succeeded, "\(waited)\n\(daemon.diagnostics())")
      #expect(
        waited.stdout.hasPrefix("--bridge=br0 --fixed-cidr=10.48.")
          && waited.stdout.contains(".0/24 --mtu="), "\(waited)")
      #expect(waited.stderr.contains("claim pending"), "the wait is reported: \(waited)")
      // Once claimed, --json with --wait answers at once.
      let json = try host.run(
        [meshd, "docker-opts", "--wait", "--json", "--socket", socket], timeout: 15)
      #expect(json.succeeded && json.stdout.hasPrefix("{\"bridge\": \"br0\""), "\(json)")
    }

    @Test("docker-opts --wait: times out naming the missing daemon; no IPAM fails at once")
    func dockerOptsWaitGivesUp() async throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let host = net.host(1)
      let missing = net.workDirectory.appendingPathComponent("nobody.sock").path
      let none = try host.run(
        [meshd, "docker-opts", "--wait", "--timeout", "1", "--socket", missing], timeout: 15)
      #expect(!none.succeeded)
      #expect(
        none.stderr.contains("timed out after 1 s: cannot reach meshd at \(missing)"), "\(none)")
      #expect(none.stderr.contains("waiting for meshd"), "\(none)")
      let noWait = try Shell.run([meshd, "docker-opts", "--timeout", "3"], timeout: 10)
      #expect(noWait.status == 64 && noWait.stderr.contains("--timeout needs --wait"), "\(noWait)")

      // Without IPAM there is nothing to wait for: the answer is final, and the environment
      // file carries the bridge and MTU without a subnet.
      let envFile = net.workDirectory.appendingPathComponent("docker.env").path
      let daemon = try net.startMeshd(
        on: host, secret: try net.makeSecretFile(), extraArguments: ["--docker-env-file", envFile])
      let written = await waitUntil(timeout: 15) { FileManager.default.fileExists(atPath: envFile) }
      try #require(written, "no \(envFile)\n\(daemon.diagnostics())")
      let noIPAM = try daemon.control(["docker-opts", "--wait", "--timeout", "30"])
      #expect(!noIPAM.succeeded)
      #expect(
        noIPAM.stderr.contains("meshd has no subnet: start it with --ipam-range"), "\(noIPAM)")
      #expect(!noIPAM.stderr.contains("timed out"), "\(noIPAM)")
      let env = try String(contentsOfFile: envFile, encoding: .utf8)
      #expect(env.contains("\nMESHD_SUBNET=\n"), "\(env)")
      #expect(env.contains("\nMESHD_DOCKER_OPTS=\"--bridge=br0 --mtu="), "\(env)")
      let mode = try FileManager.default.attributesOfItem(atPath: envFile)[.posixPermissions]
      #expect((mode as? NSNumber)?.intValue == 0o644)
    }

    @Test("--version prints MeshVersion, as the status does")
    func versionFromOnePlace() async throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let version = try Shell.run([meshd, "--version"], timeout: 10).check().stdout
        .trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(version.split(separator: ".").count == 3 && version.first?.isNumber == true)
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let daemon = try net.startMeshd(on: net.host(1), secret: try net.makeSecretFile())
      let up = await waitUntil(timeout: 10) { (try? daemon.control(["status"]))?.succeeded == true }
      try #require(up, "\(daemon.diagnostics())")
      let json = try daemon.control(["status", "--json"]).check().stdout
      #expect(try Self.member("version", of: json) == version, "\(json)")
    }
  }
}

/// A datagram socket standing in for systemd's notify socket: it collects what the daemon
/// sends to `$NOTIFY_SOCKET`.
final class NotifyListener {
  let path: String
  private let fd: Int32

  init(path: String) throws {
    self.path = path
    unlink(path)
    fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < 108 else { throw HarnessError("\(path) is too long for sun_path") }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
    let ok = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard ok == 0 else {
      close(fd)
      throw HarnessError("bind \(path): errno \(errno)")
    }
  }

  deinit {
    close(fd)
    unlink(path)
  }

  /// The next datagram's text, or nil if none arrives within `timeout` seconds.
  func receive(timeout: Double) -> String? {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
  }
}
