import Foundation
import Synchronization

/// Runs short-lived commands to completion with Foundation `Process`, capturing their output.
///
/// Output goes through temporary files rather than pipes, so a chatty command can never
/// deadlock the harness, and every command has a timeout after which it is killed.
enum Shell {
  /// The outcome of one command.
  struct Result: CustomStringConvertible {
    /// The command line, for messages.
    let command: [String]
    /// The exit status (or the signal number when `timedOut`).
    let status: Int32
    /// Everything the command wrote to stdout.
    let stdout: String
    /// Everything the command wrote to stderr.
    let stderr: String
    /// Whether the command was killed because it ran past its timeout.
    let timedOut: Bool

    /// Whether the command exited with status 0 in time.
    var succeeded: Bool { status == 0 && !timedOut }

    /// The non-empty lines of stderr.
    var stderrLines: [String] {
      stderr.split(separator: "\n").map(String.init).filter {
        !$0.trimmingCharacters(in: .whitespaces).isEmpty
      }
    }

    /// A one-paragraph summary: command, status, and output.
    var description: String {
      var text = "$ \(command.joined(separator: " "))\n"
      text += timedOut ? "(killed after timeout)\n" : "exit status \(status)\n"
      if !stdout.isEmpty { text += "stdout: \(stdout)\n" }
      if !stderr.isEmpty { text += "stderr: \(stderr)\n" }
      return text
    }

    /// Returns `self` if the command succeeded, else throws an error describing it.
    @discardableResult
    func check() throws -> Result {
      guard succeeded else { throw HarnessError("command failed:\n\(description)") }
      return self
    }
  }

  private static let counter = Atomic<Int>(0)

  /// A private scratch directory for captured output of this test process.
  private static let scratch: URL = {
    let dir = URL(fileURLWithPath: NSTemporaryDirectory())
      .appendingPathComponent("mshit-shell-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }()

  /// Runs `argv` (argv[0] is looked up in `PATH` unless absolute) and waits for it.
  ///
  /// - Parameters:
  ///   - argv: the command and its arguments.
  ///   - stdin: text fed on standard input; `/dev/null` when nil.
  ///   - environment: variables added to the inherited environment.
  ///   - timeout: seconds after which the command is killed with SIGKILL.
  static func run(
    _ argv: [String], stdin: String? = nil, environment: [String: String] = [:],
    timeout: Double = 30
  ) throws -> Result {
    precondition(!argv.isEmpty)
    let n = counter.add(1, ordering: .relaxed).newValue
    let outURL = scratch.appendingPathComponent("\(n).out")
    let errURL = scratch.appendingPathComponent("\(n).err")
    let inURL = scratch.appendingPathComponent("\(n).in")
    defer {
      for url in [outURL, errURL, inURL] { try? FileManager.default.removeItem(at: url) }
    }
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    if let stdin {
      _ = FileManager.default.createFile(atPath: inURL.path, contents: Data(stdin.utf8))
    }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    let inHandle = try FileHandle(
      forReadingFrom: stdin == nil ? URL(fileURLWithPath: "/dev/null") : inURL)
    defer {
      try? outHandle.close()
      try? errHandle.close()
      try? inHandle.close()
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.standardInput = inHandle
    process.standardOutput = outHandle
    process.standardError = errHandle
    try ChildLauncher.run(process)

    let pid = process.processIdentifier
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    var exitSeenAt: Date?
    while process.isRunning {
      if Date() > deadline && !timedOut {
        timedOut = true
        kill(pid, SIGKILL)
      }
      // A zombie that Foundation has not reaped (see ProcFS): give it a moment, then stop
      // waiting, and report it with status -1.
      if ProcFS.hasExited(pid: pid) {
        if let seen = exitSeenAt {
          if Date().timeIntervalSince(seen) > 2 { break }
        } else {
          exitSeenAt = Date()
        }
      }
      usleep(5_000)
    }
    let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return Result(
      command: argv, status: process.isRunning ? -1 : process.terminationStatus, stdout: out,
      stderr: err, timedOut: timedOut)
  }
}
