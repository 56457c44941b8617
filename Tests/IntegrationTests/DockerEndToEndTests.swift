import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Where the end-to-end script and the meshd binary are, and whether this machine can run them.
enum DockerEndToEnd {
  /// The package root: the first directory above this file that holds Package.swift.
  static func packageRoot(from file: String = #filePath) -> URL? {
    var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
        return dir
      }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }

  /// MESHD_BIN when set, else <package root>/.build/debug/meshd.
  static func meshdBinary(root: URL) -> String {
    if let path = ProcessInfo.processInfo.environment["MESHD_BIN"], !path.isEmpty { return path }
    return root.appendingPathComponent(".build/debug/meshd").path
  }

  static var isRoot: Bool { getuid() == 0 }
  static var hasTun: Bool { FileManager.default.fileExists(atPath: "/dev/net/tun") }
  /// An executable of that name in PATH or the usual system directories (Debian puts dockerd
  /// in /usr/sbin, which a non-login PATH may lack).
  static func hasExecutable(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let dirs =
      path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    return dirs.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
  }
  static var dockerInstalled: Bool {
    ["dockerd", "containerd", "docker", "runc"].allSatisfy(hasExecutable)
  }
  /// Runs a command with inherited output; returns its exit status.
  static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// Runs as root with a TUN device and Docker installed. On CI (CI set) it runs whenever it is
  /// root with a TUN device, so a missing Docker install is a failure there, never a skip.
  static var enabled: Bool {
    let onCI = !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty
    return isRoot && hasTun && (dockerInstalled || onCI)
  }
}

extension MeshIntegration {
  /// Runs `scripts/docker-e2e.sh`: two namespace hosts, each with a real meshd and a real dockerd
  /// on br0; containers on the two hosts ping each other, fetch 1 MiB over HTTP, send full-size
  /// DF pings, and the traffic stops and resumes with meshd on one host; each meshd follows its
  /// dockerd, and the containers' names (and a service with an instance on each host) are
  /// listed on the other host, and gone within 5 s of `docker stop`.
  @Suite(
    .serialized,
    .enabled(
      if: DockerEndToEnd.enabled,
      "needs root, /dev/net/tun and Docker (scripts/install-deps-docker.sh)"))
  struct DockerEndToEndTests {
    @Test(.timeLimit(.minutes(5)))
    func containersOnTwoHostsTalkOverTheMesh() throws {
      let root = try #require(DockerEndToEnd.packageRoot(), "no Package.swift above \(#filePath)")
      let script = root.appendingPathComponent("scripts/docker-e2e.sh")
      if !DockerEndToEnd.dockerInstalled {
        // Only reached on CI (see `enabled`): install rather than skip.
        let status = try DockerEndToEnd.run(
          "/bin/bash", [root.appendingPathComponent("scripts/install-deps-docker.sh").path])
        try #require(
          status == 0 && DockerEndToEnd.dockerInstalled,
          "Docker is not installed and scripts/install-deps-docker.sh failed (\(status))")
      }
      let meshd = DockerEndToEnd.meshdBinary(root: root)
      try #require(
        FileManager.default.isExecutableFile(atPath: meshd),
        "meshd binary not found at \(meshd): run `swift build` or set MESHD_BIN")
      try #require(FileManager.default.fileExists(atPath: script.path), "missing \(script.path)")

      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/bash")
      process.arguments = [script.path]
      process.currentDirectoryURL = root
      var environment = ProcessInfo.processInfo.environment
      environment["MESHD_BIN"] = meshd
      process.environment = environment
      let pipe = Pipe()
      process.standardOutput = pipe
      process.standardError = pipe
      process.standardInput = FileHandle.nullDevice
      try process.run()

      // Stream the script's output as it comes, and keep it for the failure message.
      var output = Data()
      let reader = pipe.fileHandleForReading
      while true {
        let chunk = reader.availableData
        if chunk.isEmpty { break }
        FileHandle.standardOutput.write(chunk)
        output.append(chunk)
      }
      process.waitUntilExit()

      let text = String(decoding: output, as: UTF8.self)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      // Each FAIL line with the detail lines ("  ...") the check printed just before it.
      var failures: [Substring] = []
      var details: [Substring] = []
      for line in lines {
        if line.hasPrefix("  ") {
          details.append(line)
        } else if line.hasPrefix("FAIL") {
          failures += [line] + details
          details = []
        } else if line.hasPrefix("PASS") {
          details = []
        }
      }
      let status = process.terminationStatus
      let reason = process.terminationReason == .uncaughtSignal ? "killed by signal" : "exited"
      #expect(
        status == 0 && process.terminationReason == .exit,
        """
        scripts/docker-e2e.sh \(reason) \(status)
        \(failures.isEmpty ? "(no FAIL line)" : failures.joined(separator: "\n"))
        ---- last lines ----
        \(lines.suffix(40).joined(separator: "\n"))
        """)
      #expect(
        lines.contains { $0.hasPrefix("PASS") },
        "scripts/docker-e2e.sh printed no PASS line: no check ran")
      #expect(
        lines.contains { $0.hasPrefix("PASS discovery:") },
        "scripts/docker-e2e.sh ran no service discovery check (scripts/docker-e2e-discovery.sh)")
    }
  }
}
