import Foundation

/// A `meshd up` daemon running inside one namespace host, restartable with the same arguments
/// and state directory.
final class MeshdProcess {
  /// The host it runs on.
  let host: NetnsHost
  /// The full `meshd up …` argument list (without the namespace prefix).
  let arguments: [String]
  /// Extra environment variables for the daemon (flags such as the hidden
  /// `--debug-rekey-after-seconds` go in `extraArguments` instead).
  let environment: [String: String]
  /// The control socket path.
  let socket: URL
  /// The state directory.
  let stateDirectory: URL
  private let logDirectory: URL
  private(set) var generation = 0
  private(set) var process: BackgroundProcess

  /// Starts `meshd up` on `host`.
  init(
    host: NetnsHost, secretFile: URL, peers: [String], workDirectory: URL,
    environment: [String: String] = [:], extraArguments: [String] = []
  ) throws {
    let meshd = try IntegrationEnvironment.meshdBinary()
    self.host = host
    self.environment = environment
    self.logDirectory = workDirectory
    socket = workDirectory.appendingPathComponent("meshd\(host.index).sock")
    stateDirectory = workDirectory.appendingPathComponent("state\(host.index)")
    var args = [
      meshd, "up", "--bridge", NetnsHost.bridge, "--secret-file", secretFile.path,
      "--listen", host.listenEndpoint, "--state-dir", stateDirectory.path,
      "--socket", socket.path,
    ]
    for peer in peers { args += ["--peer", peer] }
    // The tests reach each host's own addresses across the mesh (ping, iperf, TCP): open
    // unless a test asks for the default, hidden host (`--no-expose`).
    if !extraArguments.contains("--no-expose") { args.append("--expose") }
    args += extraArguments
    arguments = args
    process = try MeshdProcess.launch(
      host: host, arguments: args, environment: environment,
      logURL: workDirectory.appendingPathComponent("meshd\(host.index).0.log"))
  }

  deinit { process.stop() }

  private static func launch(
    host: NetnsHost, arguments: [String], environment: [String: String], logURL: URL
  ) throws -> BackgroundProcess {
    try BackgroundProcess(
      name: "meshd@\(host)", argv: host.execPrefix() + arguments, environment: environment,
      logURL: logURL)
  }

  /// The daemon's PID.
  var pid: Int32 { process.pid }

  /// Whether the daemon is still running.
  var isRunning: Bool { process.isRunning }

  /// Stops the daemon gracefully (SIGTERM, SIGKILL after a grace period).
  func stop() { process.stop() }

  /// Kills the daemon with SIGKILL and waits until it is gone.
  func killHard() {
    process.send(signal: SIGKILL)
    process.waitForExit(timeout: 10)
  }

  /// Starts the daemon again with the same arguments, environment and state directory.
  func restart() throws {
    process.stop()
    generation += 1
    process = try MeshdProcess.launch(
      host: host, arguments: arguments, environment: environment,
      logURL: logDirectory.appendingPathComponent("meshd\(host.index).\(generation).log"))
  }

  /// Runs a control-socket client command (`connect HOST:PORT`, `forget HOST:PORT`, …)
  /// against this daemon, inside its namespace, and returns its result.
  func control(_ command: [String]) throws -> Shell.Result {
    let meshd = try IntegrationEnvironment.meshdBinary()
    return try host.run([meshd] + command + ["--socket", socket.path], timeout: 10)
  }

  /// The endpoints in the state directory's `known-peers` file (empty if it does not exist).
  func knownPeers() -> [String] {
    let url = stateDirectory.appendingPathComponent("known-peers")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
  }

  /// Runs `meshd status --json` against this daemon's socket and decodes it.
  func status() throws -> StatusView {
    let meshd = try IntegrationEnvironment.meshdBinary()
    let result = try host.run(
      [meshd, "status", "--json", "--socket", socket.path], timeout: 10)
    guard result.succeeded else {
      throw HarnessError("meshd status failed on \(host):\n\(result)")
    }
    return try StatusView.decode(result.stdout)
  }

  /// The last log lines of the current run, labelled, for failure messages.
  func diagnostics(lines: Int = 25) -> String {
    let state = isRunning ? "running" : "exited(\(process.exitStatus ?? -1))"
    return "--- meshd on \(host), pid \(pid), \(state), log \(process.logURL.path):\n"
      + process.logTail(lines: lines)
  }
}
