import Foundation

/// A long-running child process (a daemon, a capture, a traffic server) that the harness
/// started, with its stdout and stderr appended to a log file.
///
/// It is stopped only through its own PID: SIGTERM first, SIGKILL after a grace period. Its
/// `deinit` stops it too, so a failing test never leaves it behind.
final class BackgroundProcess {
  /// A short name for messages.
  let name: String
  /// The command line.
  let command: [String]
  /// The file that receives stdout and stderr.
  let logURL: URL
  private let process = Process()
  private let logHandle: FileHandle

  /// Starts `argv` (argv[0] looked up in `PATH`) with stdin from `/dev/null`.
  init(name: String, argv: [String], environment: [String: String] = [:], logURL: URL) throws {
    self.name = name
    self.command = argv
    self.logURL = logURL
    if !FileManager.default.fileExists(atPath: logURL.path) {
      _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
    }
    logHandle = try FileHandle(forWritingTo: logURL)
    try logHandle.seekToEnd()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null"))
    process.standardOutput = logHandle
    process.standardError = logHandle
    try ChildLauncher.run(process)
  }

  deinit {
    stop()
    try? logHandle.close()
  }

  /// The process ID.
  var pid: Int32 { process.processIdentifier }

  /// Whether the process is still running (an unreaped zombie counts as exited).
  var isRunning: Bool { process.isRunning && !ProcFS.hasExited(pid: process.processIdentifier) }

  /// The exit status, once Foundation has seen the process exit (-1 for an unreaped zombie).
  var exitStatus: Int32? {
    if !process.isRunning { return process.terminationStatus }
    return isRunning ? nil : -1
  }

  /// Sends `signal` to this process (only while it exists unreaped, so a recycled PID is
  /// never hit).
  func send(signal: Int32) {
    if process.isRunning { kill(process.processIdentifier, signal) }
  }

  /// Waits up to `timeout` seconds for the process to exit; returns whether it did.
  @discardableResult
  func waitForExit(timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while isRunning {
      if Date() > deadline { return false }
      usleep(10_000)
    }
    return true
  }

  /// Stops the process: SIGTERM, then SIGKILL if it is still running after `grace` seconds.
  func stop(grace: Double = 5) {
    guard isRunning else { return }
    send(signal: SIGTERM)
    if !waitForExit(timeout: grace) {
      send(signal: SIGKILL)
      waitForExit(timeout: 5)
    }
  }

  /// The whole log so far.
  func log() -> String {
    (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
  }

  /// The last `lines` lines of the log, for failure messages.
  func logTail(lines: Int = 25) -> String {
    log().split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
      .joined(separator: "\n")
  }
}
