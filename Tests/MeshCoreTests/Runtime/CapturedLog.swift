import Logging

/// A logger whose lines the test reads: each line as "level message".
struct CapturedLog {
  let lines = Locked<[String]>([])

  /// A logger that appends to ``lines``.
  var logger: Logger {
    let lines = self.lines
    var logger = Logger(label: "test.captured") { _ in CapturingHandler(lines: lines) }
    logger.logLevel = .debug
    return logger
  }

  /// The lines containing `text`.
  func matching(_ text: String) -> [String] { lines.value.filter { $0.contains(text) } }
}

/// Appends every message to a shared list.
private struct CapturingHandler: LogHandler {
  let lines: Locked<[String]>
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(
    level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
    file: String, function: String, line: UInt
  ) {
    lines.update { $0.append("\(level) \(message)") }
  }
}
