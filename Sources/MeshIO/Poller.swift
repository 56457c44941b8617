import CMeshShim

#if canImport(Glibc)
  import Glibc
#endif

/// One ready descriptor reported by ``Poller/wait(timeoutMilliseconds:into:)``.
public struct ReadyEvent: Equatable, Sendable {
  /// The token given to ``Poller/add(fd:token:events:)``.
  public var token: Int
  /// The raw epoll event bits.
  public var bits: UInt32

  /// Creates an event.
  public init(token: Int = 0, bits: UInt32 = 0) {
    self.token = token
    self.bits = bits
  }

  /// Data (or end of file) can be read.
  public var isReadable: Bool { bits & EPOLLIN.rawValue != 0 }
}

/// An epoll instance: waits until any of several descriptors is ready.
///
/// ``wait(timeoutMilliseconds:into:)`` uses a kernel event buffer allocated once, and fills
/// the caller's pre-sized array in place, so waiting does not allocate. Registering and
/// waiting may happen on different threads.
public final class Poller: @unchecked Sendable {
  /// The interest of a registration.
  public struct Events: OptionSet, Sendable {
    /// The raw epoll bits.
    public let rawValue: UInt32
    /// Creates a set from raw epoll bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Readable (EPOLLIN), also reporting peer hang-up (EPOLLRDHUP).
    public static let read = Events(rawValue: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
    /// Writable (EPOLLOUT).
    public static let write = Events(rawValue: EPOLLOUT.rawValue)
  }

  /// The epoll descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32
  private let buffer: UnsafeMutableBufferPointer<epoll_event>

  /// Creates an epoll instance that reports at most `capacity` events per wait.
  public init(capacity: Int = 64) throws {
    precondition(capacity > 0)
    fd = try Syscall.run("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    buffer = .allocate(capacity: capacity)
    buffer.initialize(repeating: epoll_event())
  }

  deinit {
    Syscall.close(fd)
    buffer.deallocate()
  }

  /// Closes the epoll descriptor.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Starts watching `fd`; ready events carry `token`.
  public func add(fd watched: Int32, token: Int, events: Events = .read) throws {
    try control(EPOLL_CTL_ADD, watched, token: token, events: events, call: "epoll_ctl(ADD)")
  }

  /// Changes the interest or token of a watched `fd`.
  public func modify(fd watched: Int32, token: Int, events: Events) throws {
    try control(EPOLL_CTL_MOD, watched, token: token, events: events, call: "epoll_ctl(MOD)")
  }

  /// Stops watching `fd`. Closing a descriptor also removes it.
  public func remove(fd watched: Int32) throws {
    try control(EPOLL_CTL_DEL, watched, token: 0, events: [], call: "epoll_ctl(DEL)")
  }

  private func control(
    _ op: Int32, _ watched: Int32, token: Int, events: Events, call: String
  ) throws {
    var event = epoll_event()
    event.events = events.rawValue
    event.data.u64 = UInt64(UInt(bitPattern: token))
    let fd = self.fd
    try Syscall.run(call) { epoll_ctl(fd, op, watched, &event) }
  }

  /// Waits up to `timeoutMilliseconds` (-1: forever, 0: just poll) for ready descriptors and
  /// stores them at the start of `events`, returning how many. At most `events.count` (and
  /// the capacity) are reported per call; size `events` once and reuse it. An interrupted
  /// wait (EINTR) returns 0.
  public func wait(timeoutMilliseconds: Int32, into events: inout [ReadyEvent]) throws -> Int {
    let limit = Int32(min(events.count, buffer.count))
    guard limit > 0 else { return 0 }
    let fd = self.fd
    let base = buffer.baseAddress
    let count = epoll_wait(fd, base, limit, timeoutMilliseconds)
    if count < 0 {
      let code = Glibc.errno
      if code == EINTR { return 0 }
      throw SystemError(call: "epoll_wait", errno: code)
    }
    for i in 0..<Int(count) {
      let raw = buffer[i]
      events[i] = ReadyEvent(token: Int(bitPattern: UInt(raw.data.u64)), bits: raw.events)
    }
    return Int(count)
  }
}
