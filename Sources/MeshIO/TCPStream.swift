import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// A connected TCP socket, which this object owns: accepted by a ``TCPListener`` (then
/// non-blocking) or opened with ``connect(to:timeoutSeconds:)`` (blocking, with timeouts).
public final class TCPStream: @unchecked Sendable {
  /// The descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32

  /// Takes ownership of a connected descriptor.
  public init(ownedDescriptor fd: Int32) { self.fd = fd }

  deinit { Syscall.close(fd) }

  /// Connects to `endpoint`, blocking; the connect, and every later read and write, fails
  /// after `timeoutSeconds` without progress (SO_SNDTIMEO, SO_RCVTIMEO).
  public static func connect(to endpoint: Endpoint, timeoutSeconds: Double) throws -> TCPStream {
    let family = endpoint.isIPv6 ? AF_INET6 : AF_INET
    let fd = try Syscall.run("socket(SOCK_STREAM)") {
      socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
    let stream = TCPStream(ownedDescriptor: fd)
    try Syscall.setTimeout(fd, option: SO_SNDTIMEO, seconds: timeoutSeconds)
    try Syscall.setTimeout(fd, option: SO_RCVTIMEO, seconds: timeoutSeconds)
    var storage = sockaddr_storage()
    let length = endpoint.write(to: &storage)
    _ = try withUnsafePointer(to: &storage) { p in
      try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        try Syscall.run("connect(tcp \(endpoint))") { Glibc.connect(fd, sa, length) }
      }
    }
    return stream
  }

  /// Closes the connection.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Reads what is available into `buffer`: the byte count, 0 at end of stream, nil when a
  /// non-blocking stream has nothing yet.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
    let fd = self.fd
    return try Syscall.runNonBlocking("recv(tcp)") {
      recv(fd, buffer.baseAddress, buffer.count, 0)
    }
  }

  /// Writes as much of `bytes` as the socket takes now: the count, nil when none fits.
  public func write(_ bytes: UnsafeRawBufferPointer) throws -> Int? {
    let fd = self.fd
    return try Syscall.runNonBlocking("send(tcp)") {
      send(fd, bytes.baseAddress, bytes.count, Syscall.noSignal)
    }
  }

  /// Writes all of `bytes` on a blocking stream (bounded by its send timeout).
  public func writeAll(_ bytes: [UInt8]) throws {
    var done = 0
    while done < bytes.count {
      let n = try bytes.withUnsafeBytes { raw in
        try write(UnsafeRawBufferPointer(rebasing: raw[done...]))
      }
      guard let n, n > 0 else { throw SystemError(call: "send(tcp)", errno: EAGAIN) }
      done += n
    }
  }

  /// Reads exactly `count` bytes from a blocking stream; throws at end of stream or timeout.
  public func readExactly(_ count: Int) throws -> [UInt8] {
    var result = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let n = try result.withUnsafeMutableBytes { raw in
        try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[done...]))
      }
      guard let n, n > 0 else {
        throw SystemError(call: "recv(tcp)", errno: n == 0 ? EPIPE : EAGAIN)
      }
      done += n
    }
    return result
  }
}
