import Logging
import MeshAPI
import MeshIO

/// meshd's swift-log handler: one line per message on standard error, as text for people
/// (the message first, then `level=… ts=…` and the metadata) or as one JSON object a line for
/// log pipelines (`--log-format json`: `ts`, `level`, `label`, `msg`, then the metadata).
public struct MeshLogHandler: LogHandler {
  /// The two line formats.
  public enum Format: String, Sendable, CaseIterable {
    /// `message level=info ts=… key=value`.
    case text
    /// `{"ts": …, "level": …, "label": …, "msg": …, key: value}`.
    case json
  }

  /// The line format.
  public let format: Format
  /// The logger's label.
  public let label: String
  /// The least severe level written.
  public var logLevel: Logger.Level = .info
  /// Metadata every line of this handler carries.
  public var metadata: Logger.Metadata = [:]
  /// Where finished lines go (standard error normally; tests collect them).
  let sink: @Sendable (String) -> Void

  /// A handler for `label` writing `format` lines to standard error.
  public init(label: String, format: Format) {
    self.init(label: label, format: format, sink: { LogSink.write($0) })
  }

  /// A handler writing to `sink` (for tests).
  package init(label: String, format: Format, sink: @escaping @Sendable (String) -> Void) {
    self.label = label
    self.format = format
    self.sink = sink
  }

  /// One metadata value.
  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  /// Writes one line.
  public func log(event: LogEvent) {
    var all = metadata
    if let extra = event.metadata { all.merge(extra) { $1 } }
    sink(
      MeshLogHandler.line(
        format: format, label: label, level: event.level, message: "\(event.message)",
        metadata: all, timestamp: LogSink.timestamp()))
  }

  /// The line for one message, ending with a newline. Control characters in the message are
  /// escaped in text lines (a peer's name cannot start a fake log line) and by JSON itself.
  package static func line(
    format: Format, label: String, level: Logger.Level, message: String,
    metadata: Logger.Metadata, timestamp: String
  ) -> String {
    let keys = metadata.keys.sorted()
    switch format {
    case .text:
      var out = escapedText(message) + " level=\(level) ts=\(timestamp)"
      for k in keys { out += " \(k)=\(escapedText("\(metadata[k]!)"))" }
      return out + "\n"
    case .json:
      var o = JSONObject()
      o["ts"] = .string(timestamp)
      o["level"] = .string(level.rawValue)
      o["label"] = .string(label)
      o["msg"] = .string(message)
      for k in keys where o[k] == nil { o[k] = .string("\(metadata[k]!)") }
      return JSONValue.object(o).serialized() + "\n"
    }
  }

  /// `text` with newlines and other control characters written as `\n`, `\u{..}`.
  static func escapedText(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
      return text
    }
    var out = ""
    for s in text.unicodeScalars {
      switch s {
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case _ where s.value < 0x20 || s.value == 0x7F: out += "\\u{\(String(s.value, radix: 16))}"
      default: out.unicodeScalars.append(s)
      }
    }
    return out
  }
}
