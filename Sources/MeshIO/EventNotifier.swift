import CMeshShim

#if canImport(Glibc)
  import Glibc
#endif

/// An eventfd that other threads ``signal()`` to wake a ``Poller`` waiting on ``fd``.
///
/// Signals coalesce: however many arrive before the loop calls ``drain()``, it wakes once.
public final class EventNotifier: @unchecked Sendable {
  /// The eventfd descriptor to register with a ``Poller`` for reading.
  public let fd: Int32

  /// Creates a non-blocking eventfd.
  public init() throws {
    fd = try Syscall.run("eventfd") {
      eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }
  }

  deinit { Syscall.close(fd) }

  /// Makes the descriptor readable. Safe from any thread; never blocks.
  public func signal() {
    var one: UInt64 = 1
    // EAGAIN means the counter is saturated: it is readable already.
    _ = try? Syscall.runNonBlocking("write(eventfd)") {
      write(fd, &one, MemoryLayout<UInt64>.size)
    }
  }

  /// Clears pending signals; returns how many there were (0 if none).
  @discardableResult
  public func drain() -> UInt64 {
    var value: UInt64 = 0
    let fd = self.fd
    let n = try? Syscall.runNonBlocking("read(eventfd)") {
      read(fd, &value, MemoryLayout<UInt64>.size)
    }
    return n == nil ? 0 : value
  }
}
