import MeshCore
import Testing

/// Text a member announces for people to read is checked where it is made and decoded, and
/// escaped where it is printed.
@Suite("Types: display text")
struct DisplayTextTests {
  let hostile = "x\u{1B}[2J\u{1B}[31mRED\nforged line\r"

  @Test func hostileNicknamesAreRefused() {
    #expect(!DisplayText.isValid(hostile, maxBytes: 64))
    #expect(!DisplayText.isValid("evil\u{202E}txt.exe", maxBytes: 64))
    #expect(!DisplayText.isValid("c1\u{85}", maxBytes: 64))
    #expect(!DisplayText.isValid("", maxBytes: 64))
    #expect(!DisplayText.isValid(String(repeating: "a", count: 65), maxBytes: 64))
    #expect(DisplayText.isValid("host-1.example", maxBytes: 64))
    #expect(DisplayText.isValid("Zürich-東京", maxBytes: 64))
  }

  @Test func escapingLeavesNoControlCharacter() {
    let shown = DisplayText.escaped(hostile)
    #expect(shown == "x\\e[2J\\e[31mRED\\nforged line\\r")
    #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    #expect(DisplayText.escaped("a\\b\u{202E}") == "a\\\\b\\u{202E}")
    #expect(DisplayText.escaped("plain") == "plain")
  }

  @Test func sanitizingKeepsWhatIsSafeAndCutsOnACharacter() {
    #expect(DisplayText.sanitized("a\nb", maxBytes: 64) == "a?b")
    #expect(DisplayText.sanitized("ééé", maxBytes: 5) == "éé")
    #expect(DisplayText.isValid(DisplayText.sanitized(hostile, maxBytes: 64), maxBytes: 64))
  }

  @Test func aHandshakePayloadWithAHostileNicknameDoesNotDecode() throws {
    // Encoding does not judge (the sender validates its own name); decoding refuses.
    let bytes = try HandshakePayload(timestamp: 1, nickname: hostile, endpoints: []).encode()
    #expect(throws: WireError.malformed) {
      try bytes.withUnsafeBytes { try HandshakePayload.decode($0) }
    }
    let fine = try HandshakePayload(timestamp: 1, nickname: "host-1", endpoints: []).encode()
    let decoded = try fine.withUnsafeBytes { try HandshakePayload.decode($0) }
    #expect(decoded.nickname == "host-1")
  }
}
