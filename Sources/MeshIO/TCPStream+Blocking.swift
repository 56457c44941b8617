#if canImport(Glibc)
  import Glibc
#endif

extension TCPStream {
  /// Makes the stream blocking with each write bounded by `seconds` (SO_SNDTIMEO): a server
  /// thread then writes a whole answer larger than the socket buffer, and a client that does
  /// not read holds it for at most that long.
  public func setBlocking(sendTimeoutSeconds seconds: Double) throws {
    try Syscall.setNonBlocking(fd, false)
    var tv = timeval()
    tv.tv_sec = Int(seconds)
    tv.tv_usec = Int((seconds - Double(Int(seconds))) * 1_000_000)
    let fd = self.fd
    try Syscall.run("setsockopt(SO_SNDTIMEO)") {
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
  }
}
