import Logging
import MeshAPI
import Synchronization
import Testing

@testable import MeshCore

/// meshd's log lines: text puts the message first and escapes control characters; JSON is one
/// object a line with ts, level, label, msg and the metadata.
@Suite("Log handler")
struct MeshLogHandlerTests {
  @Test func textPutsTheMessageFirst() {
    let line = MeshLogHandler.line(
      format: .text, label: "meshd", level: .warning, message: "peer down: b (0a): no answer",
      metadata: ["peer": "0a"], timestamp: "2026-12-05T10:00:00.000Z")
    #expect(
      line == "peer down: b (0a): no answer level=warning ts=2026-12-05T10:00:00.000Z peer=0a\n")
  }

  @Test func textEscapesControlCharacters() {
    let line = MeshLogHandler.line(
      format: .text, label: "meshd", level: .info, message: "a\nfake line\u{1B}[31m",
      metadata: [:], timestamp: "t")
    #expect(line.filter { $0 == "\n" }.count == 1)
    #expect(line.hasPrefix("a\\nfake line\\u{1b}[31m level=info"))
  }

  @Test func jsonIsOneObjectALine() throws {
    let line = MeshLogHandler.line(
      format: .json, label: "meshd", level: .notice, message: "quote \" and\nnewline",
      metadata: ["peer": "0a", "msg": "not overriding"], timestamp: "2026-12-05T10:00:00.000Z")
    #expect(line.hasSuffix("\n"))
    #expect(line.dropLast().contains("\n") == false)
    let value = try JSONValue.parse(Array(line.utf8.dropLast()))
    #expect(value["msg"]?.stringValue == "quote \" and\nnewline")
    #expect(value["level"]?.stringValue == "notice")
    #expect(value["label"]?.stringValue == "meshd")
    #expect(value["ts"]?.stringValue == "2026-12-05T10:00:00.000Z")
    #expect(value["peer"]?.stringValue == "0a")
  }

  @Test func theHandlerFiltersByLevelAndWritesLines() {
    let lines = Mutex<[String]>([])
    var handler = MeshLogHandler(label: "meshd", format: .json) { line in
      lines.withLock { $0.append(line) }
    }
    handler.logLevel = .notice
    handler[metadataKey: "host"] = "a"
    let logger = Logger(label: "meshd") { _ in handler }
    logger.info("dropped")
    logger.warning("kept", metadata: ["x": "1"])
    let written = lines.withLock { $0 }
    #expect(written.count == 1)
    let value = try? JSONValue.parse(Array(written.first!.utf8.dropLast()))
    #expect(value?["msg"]?.stringValue == "kept")
    #expect(value?["host"]?.stringValue == "a")
    #expect(value?["x"]?.stringValue == "1")
    #expect(value?["ts"]?.stringValue?.hasSuffix("Z") == true)
  }
}
