#if canImport(Glibc)
  import Glibc
#endif

/// A connected Unix stream socket (the control API's transport), which this object owns.
public final class UnixStream: @unchecked Sendable {
  /// The descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32

  /// Takes ownership of a connected descriptor.
  public init(ownedDescriptor fd: Int32) { self.fd = fd }

  deinit { Syscall.close(fd) }

  /// Connects to the stream socket at `path`. With `timeoutSeconds`, a connect that would
  /// wait (the server's backlog is full) fails with EAGAIN after that long (SO_SNDTIMEO,
  /// which also bounds later writes) instead of waiting forever.
  public static func connect(path: String, timeoutSeconds: Double? = nil) throws -> UnixStream {
    var address = sockaddr_un()
    let length = try UnixSocketAddress.fill(&address, path: path)
    let fd = try Syscall.run("socket(AF_UNIX)") {
      socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
    let stream = UnixStream(ownedDescriptor: fd)
    if let timeoutSeconds {
      try Syscall.setTimeout(fd, option: SO_SNDTIMEO, seconds: timeoutSeconds)
    }
    _ = try withUnsafePointer(to: &address) { p in
      try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        try Syscall.run("connect(\(path))") { Glibc.connect(fd, sa, length) }
      }
    }
    return stream
  }

  /// Closes the connection.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Makes reads fail with a ``SystemError`` whose ``SystemError/isWouldBlock`` is true when
  /// nothing arrives within `seconds` (SO_RCVTIMEO); 0 waits forever.
  public func setReceiveTimeout(seconds: Double) throws {
    try Syscall.setTimeout(fd, option: SO_RCVTIMEO, seconds: seconds)
  }

  /// Bounds each write (SO_SNDTIMEO): a send that cannot progress for `seconds` fails with a
  /// ``SystemError`` whose ``SystemError/isWouldBlock`` is true; 0 waits forever.
  public func setSendTimeout(seconds: Double) throws {
    try Syscall.setTimeout(fd, option: SO_SNDTIMEO, seconds: seconds)
  }

  /// With `true`, reads fail at once with a would-block ``SystemError`` when nothing is
  /// there, so one thread can serve many streams from a poll loop.
  public func setNonBlocking(_ nonBlocking: Bool) throws {
    try Syscall.setNonBlocking(fd, nonBlocking)
  }

  /// Reads what is available, up to `buffer.count` bytes; 0 means the peer closed.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let fd = self.fd
    return try Syscall.run("recv(unix)") { recv(fd, buffer.baseAddress, buffer.count, 0) }
  }

  /// Reads what is available, up to `max` bytes; an empty result means the peer closed.
  public func read(max: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: max)
    let n = try bytes.withUnsafeMutableBytes { try read(into: $0) }
    bytes.removeSubrange(n...)
    return bytes
  }

  /// Writes all of `bytes`, continuing after short writes. A closed peer fails with EPIPE
  /// (no SIGPIPE is raised).
  public func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    let fd = self.fd
    while offset < bytes.count {
      let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
      offset += try Syscall.run("send(unix)") {
        send(fd, rest.baseAddress, rest.count, Syscall.noSignal)
      }
    }
  }

  /// Writes all of `bytes`.
  public func writeAll(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try writeAll($0) }
  }

  /// Shuts down the sending direction: the peer reads end of file.
  public func shutdownWrite() throws {
    let fd = self.fd
    try Syscall.run("shutdown") { shutdown(fd, Int32(SHUT_WR)) }
  }
}

/// Building `sockaddr_un` values with the path length checked.
enum UnixSocketAddress {
  /// The size of `sun_path`, including the terminating NUL.
  static let pathCapacity = 108

  /// Stores `path` in `address` and returns the address length; throws ENAMETOOLONG with a
  /// clear message if the path does not fit.
  static func fill(_ address: inout sockaddr_un, path: String) throws -> socklen_t {
    let bytes = Array(path.utf8)
    guard !bytes.isEmpty, !bytes.contains(0) else {
      throw SystemError(call: "unix socket path", errno: EINVAL, detail: "empty or contains NUL")
    }
    guard bytes.count < pathCapacity else {
      throw SystemError(
        call: "unix socket path", errno: ENAMETOOLONG,
        detail: "\(path) is \(bytes.count) bytes; sun_path holds at most \(pathCapacity - 1)")
    }
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    return socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
  }
}
