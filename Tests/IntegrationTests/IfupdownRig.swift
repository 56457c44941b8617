import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A failure of the ifupdown rig, with the command output that explains it.
struct IfupdownRigError: Error, CustomStringConvertible {
  let description: String
  init(_ message: String) { description = message }
}

/// Two namespace hosts joined by a veth pair, each with a private interfaces file, for driving
/// the meshd ifupdown hook with the real `ifup`/`ifdown`.
///
/// Everything lives in namespaces named `mshipa<pid>`/`mshipb<pid>` and a private work
/// directory: no address, interface or file of the machine's own is touched. `tearDown` kills
/// the daemons the hook started (by the PIDs in their pid files) and deletes the namespaces.
final class IfupdownRig: @unchecked Sendable {
  /// One namespace host.
  struct Host {
    /// The namespace's name.
    let namespace: String
    /// The host's directory: interfaces file, ifupdown state, state dir, run dir, log.
    let dir: URL
    /// Its underlay address, without prefix.
    let underlay: String
    /// Its bridge address with the cluster prefix, such as 10.47.0.1/16.
    let overlay: String

    var interfaces: String { dir.appendingPathComponent("interfaces").path }
    var ifState: String { dir.appendingPathComponent("ifstate").path }
    var runDir: String { dir.appendingPathComponent("run").path }
    var stateDir: String { dir.appendingPathComponent("state").path }
    var socket: String { dir.appendingPathComponent("run/meshd.sock").path }
    var log: String { dir.appendingPathComponent("meshd.log").path }
    var pidFile: String { "\(runDir)/meshd-\(IfupdownRig.bridge).pid" }
  }

  /// The bridge every host brings up.
  static let bridge = "mshipbr0"
  /// The TAP every daemon creates.
  static let tap = "mshiptap0"

  /// Whether the suite can run: root and `/dev/net/tun`. CI runs as root, so there it runs.
  static let canRun: Bool =
    getuid() == 0 && FileManager.default.fileExists(atPath: "/dev/net/tun")

  /// The package root: the first ancestor of this file that holds a `Package.swift`.
  static let packageRoot: URL = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
        return dir
      }
      dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  }()

  /// The hook under test.
  static var hook: String { packageRoot.appendingPathComponent("contrib/ifupdown/meshd").path }

  /// `$MESHD_BIN`, else `<package root>/.build/debug/meshd`.
  static func meshdBinary() throws -> String {
    let env = ProcessInfo.processInfo.environment["MESHD_BIN"] ?? ""
    let path =
      env.isEmpty ? packageRoot.appendingPathComponent(".build/debug/meshd").path : env
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw IfupdownRigError("build meshd first: swift build (no executable at \(path))")
    }
    return path
  }

  let work: URL
  let a: Host
  let b: Host
  let meshd: String

  /// Creates the work directory, both namespaces and the veth between them.
  init() throws {
    meshd = try IfupdownRig.meshdBinary()
    for tool in ["/usr/sbin/ifup", "/usr/sbin/ifdown"]
    where !FileManager.default.isExecutableFile(atPath: tool) {
      throw IfupdownRigError("\(tool) missing: run scripts/install-deps.sh (ifupdown)")
    }
    let id = getpid()
    work = URL(fileURLWithPath: NSTemporaryDirectory())
      .appendingPathComponent("mship-\(id)-\(UInt32.random(in: 0...UInt32.max))")
    a = Host(
      namespace: "mshipa\(id)", dir: work.appendingPathComponent("a"), underlay: "192.0.2.1",
      overlay: "10.47.0.1/16")
    b = Host(
      namespace: "mshipb\(id)", dir: work.appendingPathComponent("b"), underlay: "192.0.2.2",
      overlay: "10.47.0.2/16")
    for h in [a, b] {
      for sub in ["ifstate", "run", "state"] {
        try FileManager.default.createDirectory(
          atPath: h.dir.appendingPathComponent(sub).path, withIntermediateDirectories: true)
      }
      try run(["ip", "netns", "add", h.namespace]).check()
    }
    try run([
      "ip", "-n", a.namespace, "link", "add", "mshipva", "type", "veth", "peer", "name", "mshipvb",
      "netns", b.namespace,
    ]).check()
    for (h, dev) in [(a, "mshipva"), (b, "mshipvb")] {
      try run(["ip", "-n", h.namespace, "addr", "add", "\(h.underlay)/24", "dev", dev]).check()
      try run(["ip", "-n", h.namespace, "link", "set", dev, "up"]).check()
      try run(["ip", "-n", h.namespace, "link", "set", "lo", "up"]).check()
    }
  }

  /// Kills what the hook left running (by pid file), deletes the namespaces and the files.
  func tearDown() {
    for h in [a, b] {
      if let pid = IfupdownRig.pid(in: h.pidFile) { kill(pid, SIGKILL) }
      _ = try? run(["ip", "netns", "del", h.namespace])
    }
    if ProcessInfo.processInfo.environment["MESHD_IT_KEEP"] != "1" {
      try? FileManager.default.removeItem(at: work)
    }
  }

  /// The PID in a pid file, if the file holds one.
  static func pid(in file: String) -> pid_t? {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
    return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// Whether `pid` is a live (not zombie) process whose command line mentions meshd.
  static func isMeshd(_ pid: pid_t) -> Bool {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
      return false
    }
    return String(decoding: data, as: UTF8.self).contains("meshd")
  }

  /// The outcome of one command.
  struct Result: CustomStringConvertible {
    let command: [String]
    let status: Int32
    let stdout: String
    let stderr: String
    var description: String {
      "$ \(command.joined(separator: " "))\nexit \(status)\nstdout: \(stdout)\nstderr: \(stderr)"
    }
    @discardableResult func check() throws -> Result {
      guard status == 0 else { throw IfupdownRigError("command failed:\n\(description)") }
      return self
    }
  }

  /// Runs a command to completion (killed after `timeout` seconds), output through files so a
  /// process that keeps a descriptor open cannot hang the test; a leaked descriptor shows up as
  /// a timeout instead.
  func run(_ argv: [String], env: [String: String] = [:], timeout: Double = 60) throws -> Result {
    let out = work.appendingPathComponent("out-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: out.path + ".1", contents: nil)
    FileManager.default.createFile(atPath: out.path + ".2", contents: nil)
    defer {
      try? FileManager.default.removeItem(atPath: out.path + ".1")
      try? FileManager.default.removeItem(atPath: out.path + ".2")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out.path + ".1"))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: out.path + ".2"))
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    if p.isRunning {
      // Foundation notices an exit only when every holder of its status socket is gone, so a
      // daemon that inherited it keeps `isRunning` true: never wait for ever here.
      p.terminate()
      throw IfupdownRigError("timed out after \(timeout) s: \(argv.joined(separator: " "))")
    }
    let text = { (s: String) in (try? String(contentsOfFile: s, encoding: .utf8)) ?? "" }
    return Result(
      command: argv, status: p.terminationStatus, stdout: text(out.path + ".1"),
      stderr: text(out.path + ".2"))
  }

  /// Polls `condition` every 100 ms for up to `seconds`.
  func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
      if try condition() { return true }
      usleep(100_000)
    } while Date() < deadline
    return try condition()
  }
}
