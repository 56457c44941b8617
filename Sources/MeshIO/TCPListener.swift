import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// A listening TCP socket, non-blocking, which this object owns.
public final class TCPListener: @unchecked Sendable {
  /// The descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32
  /// The bound address.
  public let localEndpoint: Endpoint

  /// Binds `endpoint` (SO_REUSEADDR, so a restart does not wait out TIME_WAIT), optionally
  /// only on the interface `device`, and listens with `backlog`.
  public init(bindingTo endpoint: Endpoint, device: String? = nil, backlog: Int32 = 64) throws {
    let family = endpoint.isIPv6 ? AF_INET6 : AF_INET
    let fd = try Syscall.run("socket(SOCK_STREAM)") {
      socket(
        family,
        Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
          | Int32(SOCK_NONBLOCK.rawValue), 0)
    }
    do {
      try Syscall.setSocketOption(
        fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, call: "setsockopt(SO_REUSEADDR)")
      if let device { try SocketDevice.bind(fd, to: device) }
      var storage = sockaddr_storage()
      let length = endpoint.write(to: &storage)
      _ = try withUnsafePointer(to: &storage) { p in
        try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
          try Syscall.run("bind(tcp \(endpoint))") { Glibc.bind(fd, sa, length) }
        }
      }
      try Syscall.run("listen") { listen(fd, backlog) }
    } catch {
      Syscall.close(fd)
      throw error
    }
    self.fd = fd
    localEndpoint = endpoint
  }

  deinit { Syscall.close(fd) }

  /// Closes the socket.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Accepts one waiting connection as a non-blocking stream, with its peer; nil when none
  /// waits.
  public func accept() throws -> (TCPStream, Endpoint)? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let fd = self.fd
    let accepted = try withUnsafeMutablePointer(to: &storage) { p in
      try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        try Syscall.runNonBlocking("accept") { Glibc.accept(fd, sa, &length) }
      }
    }
    guard let accepted else { return nil }
    let stream = TCPStream(ownedDescriptor: accepted)
    _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
    try Syscall.setNonBlocking(accepted, true)
    guard let peer = Endpoint(reading: &storage, length: length) else { return nil }
    return (stream, peer)
  }
}
