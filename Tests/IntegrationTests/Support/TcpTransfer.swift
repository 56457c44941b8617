import Foundation

/// A checksummed TCP transfer through the overlay: a sink on the receiving host prints the
/// SHA-256 of everything it got; a sender on the other host streams a file to it.
struct TcpTransfer {
  /// SHA-256 of the file that was sent.
  let sentSHA256: String
  /// SHA-256 of what the sink received (nil if it printed no result).
  let receivedSHA256: String?
  /// Bytes the sink received.
  let receivedBytes: Int
  /// The size of the file that was sent.
  let sentBytes: Int
  /// Wall-clock seconds the sender ran.
  let seconds: Double
  /// The sender's result, for failure messages.
  let sender: Shell.Result
  /// The sink's log, for failure messages.
  let sinkLog: String

  /// Whether the received bytes are exactly the sent bytes and the sender exited cleanly.
  var isIntact: Bool {
    sender.succeeded && receivedSHA256 == sentSHA256 && receivedBytes == sentBytes
  }

  /// A summary for failure messages.
  var summary: String {
    "sent \(sentBytes) B sha256 \(sentSHA256); received \(receivedBytes) B sha256 "
      + "\(receivedSHA256 ?? "none") in \(String(format: "%.1f", seconds)) s\n"
      + "sender: \(sender)\nsink log: \(sinkLog)"
  }

  /// Writes `count` random bytes to a new file in the network's work directory.
  static func randomFile(in net: TestNetwork, name: String, count: Int) throws -> URL {
    guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else {
      throw HarnessError("cannot open /dev/urandom")
    }
    defer { try? random.close() }
    let url = net.workDirectory.appendingPathComponent(name)
    try random.readData(ofLength: count).write(to: url)
    return url
  }

  /// The SHA-256 of a file, via `sha256sum`.
  static func sha256(of url: URL) throws -> String {
    let result = try Shell.run(["sha256sum", url.path], timeout: 60).check()
    return String(result.stdout.prefix { $0 != " " })
  }

  /// Sends `file` from `from` to `to`'s overlay address on TCP `port`, at `rate` bytes per
  /// second (0: as fast as possible), and reports what arrived.
  static func run(
    in net: TestNetwork, from: NetnsHost, to: NetnsHost, file: URL, port: Int = 5201,
    rate: Int = 0, timeout: Double = 90
  ) async throws -> TcpTransfer {
    let tool = try NetTool.install(in: net.workDirectory)
    let sink = try net.spawn(
      in: to, name: "sink-\(port)",
      [
        "python3", tool.path, "recv-sha", "--bind", to.overlayIP, "--port", "\(port)",
        "--timeout", "\(Int(timeout))",
      ])
    let listening = await waitUntil(timeout: 10) { sink.log().contains("LISTENING") }
    guard listening else {
      throw HarnessError("TCP sink on \(to) did not start:\n\(sink.log())")
    }
    let sentSHA = try sha256(of: file)
    let size =
      (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? -1
    let start = Date()
    let sender = try from.run(
      [
        "python3", tool.path, "send-file", "--to", to.overlayIP, "--port", "\(port)", "--file",
        file.path, "--rate", "\(rate)", "--timeout", "30",
      ], timeout: timeout)
    let seconds = Date().timeIntervalSince(start)
    sink.waitForExit(timeout: 10)
    sink.stop(grace: 1)
    let log = sink.log()
    let result = NetTool.parseResult(log)
    return TcpTransfer(
      sentSHA256: sentSHA, receivedSHA256: result?.sha256, receivedBytes: result?.bytes ?? 0,
      sentBytes: size, seconds: seconds, sender: sender, sinkLog: log)
  }
}
