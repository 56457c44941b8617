import Testing

@testable import MeshCore
@testable import MeshTypes

/// The rate limit on log lines of I/O errors that repeat.
@Suite("Runtime: repeated error log")
struct RepeatedErrorLogTests {
  let t0 = MeshInstant(nanoseconds: 5_000_000_000)

  @Test("the first error of a minute is logged, the rest counted and summed up in one line")
  func oneLinePerMinute() {
    var log = RepeatedErrorLog()
    #expect(log.note(.tapRead, "TAP read failed: EBADFD") == "TAP read failed: EBADFD")
    var built = 0
    for _ in 0..<149_999 {
      let line = log.note(
        .tapRead,
        {
          built += 1
          return "TAP read failed: EBADFD"
        }())
      #expect(line == nil)
    }
    #expect(built == 0, "a suppressed message is not even built")
    #expect(log.summaries(now: t0).isEmpty, "the window starts")
    #expect(log.summaries(now: t0.adding(seconds: 59)).isEmpty)
    let summary = log.summaries(now: t0.adding(seconds: 60))
    #expect(summary.map(\.line) == ["TAP read failed: EBADFD (150000 times in the last minute)"])
    #expect(summary.map(\.kind) == [.tapRead])
    // A new minute: the next error is logged again.
    #expect(log.note(.tapRead, "TAP read failed: EIO") == "TAP read failed: EIO")
  }

  @Test("kinds are limited apart; an error that happened once has no summary")
  func kindsApart() {
    var log = RepeatedErrorLog()
    #expect(log.note(.tapWrite, "w") == "w")
    #expect(log.note(.socketSend, "s") == "s")
    #expect(log.note(.socketSend, "s") == nil)
    #expect(log.count(.socketSend) == 2 && log.count(.tapWrite) == 1)
    _ = log.summaries(now: t0)
    let lines = log.summaries(now: t0.adding(seconds: 61)).map(\.line)
    #expect(lines == ["s (2 times in the last minute)"])
  }
}
