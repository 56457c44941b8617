import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// A listening TCP socket on an address and port: the metrics endpoint, which Prometheus
/// scrapes over the network (it cannot scrape a Unix socket).
///
/// Accepted connections are ``UnixStream`` objects: that type reads and writes any connected
/// stream descriptor, TCP included.
public final class TCPListener: @unchecked Sendable {
  /// The listening descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32
  /// Where it listens (with the port the kernel chose, when 0 was asked for).
  public let endpoint: Endpoint

  /// Listens on `endpoint` (SO_REUSEADDR, so a restart does not wait for TIME_WAIT).
  public init(endpoint: Endpoint, backlog: Int32 = 64) throws {
    let family = endpoint.isIPv6 ? AF_INET6 : AF_INET
    let fd = try Syscall.run("socket(tcp)") {
      socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
    do {
      try Syscall.setSocketOption(
        fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, call: "SO_REUSEADDR")
      var storage = sockaddr_storage()
      let length = endpoint.write(to: &storage)
      _ = try withUnsafePointer(to: &storage) { p in
        try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
          try Syscall.run("bind(\(endpoint))") { bind(fd, sa, length) }
        }
      }
      try Syscall.run("listen(\(endpoint))") { listen(fd, backlog) }
      try Syscall.setNonBlocking(fd, true)
      var bound = sockaddr_storage()
      var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
      _ = withUnsafeMutablePointer(to: &bound) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
      }
      self.endpoint = Endpoint(reading: &bound, length: boundLength) ?? endpoint
    } catch {
      Syscall.close(fd)
      throw error
    }
    self.fd = fd
  }

  deinit { close() }

  /// Stops listening.
  public func close() {
    guard fd >= 0 else { return }
    Syscall.close(fd)
    fd = -1
  }

  /// Accepts one waiting connection, non-blocking and close-on-exec; nil when none waits.
  public func accept() throws -> UnixStream? {
    let fd = self.fd
    let client = Glibc.accept(fd, nil, nil)
    if client < 0 {
      let e = errno
      if e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED { return nil }
      throw SystemError(call: "accept(\(endpoint))", errno: e)
    }
    let stream = UnixStream(ownedDescriptor: client)
    try Syscall.run("fcntl(FD_CLOEXEC)") { fcntl(client, F_SETFD, FD_CLOEXEC) }
    try Syscall.setNonBlocking(client, true)
    return stream
  }
}
