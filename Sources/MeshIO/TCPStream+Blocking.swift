#if canImport(Glibc)
  import Glibc
#endif

extension TCPStream {
  /// Makes the stream blocking with each write bounded by `seconds` (SO_SNDTIMEO): a server
  /// thread then writes a whole answer larger than the socket buffer, and a client that does
  /// not read holds it for at most that long.
  public func setBlocking(sendTimeoutSeconds seconds: Double) throws {
    try Syscall.setNonBlocking(fd, false)
    try Syscall.setTimeout(fd, option: SO_SNDTIMEO, seconds: seconds)
  }
}
