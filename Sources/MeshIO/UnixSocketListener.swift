#if canImport(Glibc)
  import Glibc
#endif

/// A listening Unix stream socket at a filesystem path: the daemon's control socket.
///
/// On start a stale socket at the path is removed, but only if it is a socket and nothing
/// answers on it; any other file is left alone and reported. The path gets mode 0660 (and
/// optionally a group) before the socket starts listening, so no client can connect through
/// a wider mode. ``close()`` and `deinit` remove the path.
public final class UnixSocketListener: @unchecked Sendable {
  /// The socket's path.
  public let path: String
  /// The listening descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32

  /// Listens at `path` with file mode `mode` and, if given, group `groupID`.
  public init(path: String, mode: mode_t = 0o660, groupID: gid_t? = nil, backlog: Int32 = 64)
    throws
  {
    var address = sockaddr_un()
    let length = try UnixSocketAddress.fill(&address, path: path)
    try Self.removeStaleSocket(at: path)
    let fd = try Syscall.run("socket(AF_UNIX)") {
      socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
    do {
      do {
        _ = try withUnsafePointer(to: &address) { p in
          try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            try Syscall.run("bind(\(path))") { bind(fd, sa, length) }
          }
        }
      } catch let e as SystemError where e.errno == ENOENT || e.errno == ENOTDIR {
        throw SystemError(
          call: e.call, errno: e.errno,
          detail: "the directory \(SecureFile.directory(of: path)) does not exist")
      }
      // Before listen(): a client cannot connect yet, so the mode is never wider than asked.
      try Syscall.run("chmod(\(path))") { chmod(path, mode) }
      if let groupID {
        try Syscall.run("chown(\(path))") { chown(path, uid_t.max, groupID) }
      }
      try Syscall.run("listen(\(path))") { listen(fd, backlog) }
    } catch {
      Syscall.close(fd)
      throw error
    }
    self.path = path
    self.fd = fd
  }

  deinit { shutDown() }

  /// Stops listening and removes the path.
  public func close() { shutDown() }

  private func shutDown() {
    guard fd >= 0 else { return }
    Syscall.close(fd)
    fd = -1
    unlink(path)
  }

  /// Waits up to `timeoutMilliseconds` for a connection to accept; false when none came (or
  /// the wait was interrupted), so a serving loop can check whether it should stop.
  public func waitForConnection(timeoutMilliseconds: Int32) -> Bool {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&pfd, 1, timeoutMilliseconds) > 0
  }

  /// Waits for and accepts one connection.
  public func accept() throws -> UnixStream {
    let fd = self.fd
    let client = try Syscall.run("accept(\(path))") { Glibc.accept(fd, nil, nil) }
    let stream = UnixStream(ownedDescriptor: client)
    try Syscall.run("fcntl(FD_CLOEXEC)") { fcntl(client, F_SETFD, FD_CLOEXEC) }
    return stream
  }

  /// How long a socket that still answers is watched before it is taken for a live server:
  /// a predecessor killed a moment ago can hold its descriptors open for a while as it exits
  /// (closing a TAP waits for the kernel to unregister the device).
  public static let predecessorGrace: Duration = .seconds(3)

  /// Removes a socket left at `path` by a process that is gone. Throws EADDRINUSE if a
  /// server still answers there after `predecessorGrace`, and EEXIST if the path is not a
  /// socket.
  static func removeStaleSocket(at path: String) throws {
    var info = stat()
    if lstat(path, &info) != 0 {
      if errno == ENOENT { return }
      throw SystemError(call: "lstat(\(path))", errno: errno)
    }
    guard info.st_mode & S_IFMT == S_IFSOCK else {
      throw SystemError(
        call: "listen(\(path))", errno: EEXIST, detail: "path exists and is not a socket")
    }
    let clock = ContinuousClock()
    let deadline = clock.now + predecessorGrace
    while let stream = try? UnixStream.connect(path: path) {
      stream.close()
      guard clock.now < deadline else {
        throw SystemError(
          call: "listen(\(path))", errno: EADDRINUSE, detail: "another process is listening")
      }
      usleep(100_000)
    }
    try Syscall.run("unlink(\(path))") { unlink(path) }
  }
}
