import Foundation
import MeshIO
import Synchronization
import Testing

/// Threads carry their names, so that `top -H` and `perf` tell the data thread from the rest.
@Suite("IO: thread names")
struct IOThreadNameTests {
  /// The calling thread's name, as the kernel has it.
  static func currentName() -> String? {
    (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test("a spawned thread has its name; a long one keeps its first 15 bytes")
  func namedThreads() throws {
    let seen = Mutex<[String?]>([])
    for name in ["meshd-test", "meshd-a-very-long-thread-name"] {
      let thread = try OSThread.spawn(name: name) {
        let own = IOThreadNameTests.currentName()
        seen.withLock { $0.append(own) }
      }
      thread.join()
    }
    #expect(seen.withLock { $0 } == ["meshd-test", "meshd-a-very-lo"])
  }
}
