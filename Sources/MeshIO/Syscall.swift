#if canImport(Glibc)
  import Glibc
#endif

/// The one gateway through which the IO layer calls the kernel.
///
/// Each helper runs a C library call, retries it while it fails with `EINTR`, and turns a
/// `-1` result into a ``SystemError`` naming the call. The non-blocking variants return `nil`
/// for `EAGAIN`/`EWOULDBLOCK` instead of throwing, so that "nothing ready" stays cheap and
/// distinguishable from a real failure. None of the helpers allocate on success.
public enum Syscall {
  /// `MSG_NOSIGNAL`: a send on a closed stream returns EPIPE instead of killing the process.
  /// Spelled out because Glibc's Swift module does not export it in every build configuration
  /// (the sanitizer builds miss it).
  public static let noSignal: Int32 = 0x4000

  /// Runs `body` until it does not fail with `EINTR`; returns its result or throws
  /// ``SystemError`` when it returns `-1`.
  @inlinable
  @discardableResult
  public static func run<T: FixedWidthInteger & SignedInteger>(
    _ call: String, _ body: () -> T
  ) throws -> T {
    while true {
      let result = body()
      if result != -1 { return result }
      let code = Glibc.errno
      if code == EINTR { continue }
      throw SystemError(call: call, errno: code)
    }
  }

  /// Like ``run(_:_:)``, but returns `nil` when the call fails with `EAGAIN` or
  /// `EWOULDBLOCK`.
  @inlinable
  public static func runNonBlocking<T: FixedWidthInteger & SignedInteger>(
    _ call: String, _ body: () -> T
  ) throws -> T? {
    while true {
      let result = body()
      if result != -1 { return result }
      let code = Glibc.errno
      if code == EINTR { continue }
      if code == EAGAIN || code == EWOULDBLOCK { return nil }
      throw SystemError(call: call, errno: code)
    }
  }

  /// Closes `fd`, ignoring `EINTR` (on Linux the descriptor is released even then, so a retry
  /// could close a descriptor another thread just opened). Other errors are ignored too: there
  /// is nothing a caller can do about them.
  public static func close(_ fd: Int32) {
    guard fd >= 0 else { return }
    _ = Glibc.close(fd)
  }

  /// Sets or clears `O_NONBLOCK` on `fd`.
  public static func setNonBlocking(_ fd: Int32, _ nonBlocking: Bool) throws {
    let flags = try run("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
    let wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
    if wanted != flags {
      try run("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, wanted) }
    }
  }

  /// Sets an integer socket option.
  public static func setSocketOption(
    _ fd: Int32, level: Int32, name: Int32, value: Int32, call: String
  ) throws {
    var v = value
    try run(call) {
      setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }
  }

  /// Sets SO_SNDTIMEO or SO_RCVTIMEO (`option`) to `seconds`; 0 waits forever.
  public static func setTimeout(_ fd: Int32, option: Int32, seconds: Double) throws {
    var tv = timeval()
    tv.tv_sec = Int(seconds)
    tv.tv_usec = Int((seconds - Double(Int(seconds))) * 1_000_000)
    let name = option == SO_SNDTIMEO ? "SO_SNDTIMEO" : "SO_RCVTIMEO"
    try run("setsockopt(\(name))") {
      setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
  }

  /// Reads an integer socket option.
  public static func socketOption(_ fd: Int32, level: Int32, name: Int32, call: String) throws
    -> Int32
  {
    var v: Int32 = 0
    var len = socklen_t(MemoryLayout<Int32>.size)
    try run(call) { getsockopt(fd, level, name, &v, &len) }
    return v
  }
}
