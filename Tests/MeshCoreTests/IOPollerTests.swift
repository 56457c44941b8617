import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO

@Suite struct IOPollerTests {
  @Test func eventNotifierWakesWait() throws {
    let poller = try Poller(capacity: 8)
    let notifier = try EventNotifier()
    try poller.add(fd: notifier.fd, token: 7)
    var events = [ReadyEvent](repeating: ReadyEvent(), count: 8)
    #expect(try poller.wait(timeoutMilliseconds: 0, into: &events) == 0)

    Thread.detachNewThread {
      usleep(20_000)
      notifier.signal()
      notifier.signal()
    }
    let start = Date()
    let n = try poller.wait(timeoutMilliseconds: 5000, into: &events)
    #expect(Date().timeIntervalSince(start) < 4)
    #expect(n == 1)
    #expect(events[0].token == 7)
    #expect(events[0].isReadable)
    usleep(20_000)
    #expect(notifier.drain() == 2)
    #expect(notifier.drain() == 0)
    #expect(try poller.wait(timeoutMilliseconds: 10, into: &events) == 0)

    try poller.remove(fd: notifier.fd)
    notifier.signal()
    #expect(try poller.wait(timeoutMilliseconds: 10, into: &events) == 0)
    #expect(throws: SystemError.self) { try poller.remove(fd: notifier.fd) }
  }

  @Test func syscallErrorsAreTyped() throws {
    let error = try #require(throws: SystemError.self) {
      try Syscall.run("close(-5)") { close(-5) }
    }
    #expect(error.errno == EBADF)
    #expect(error.call == "close(-5)")
    #expect(error.description.contains("Bad file descriptor"))
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    defer {
      close(fds[0])
      close(fds[1])
    }
    try Syscall.setNonBlocking(fds[0], true)
    var byte: UInt8 = 0
    #expect(try Syscall.runNonBlocking("read") { read(fds[0], &byte, 1) } == nil)
  }
}
