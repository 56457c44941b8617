#if canImport(Glibc)
  import Glibc
#endif

/// Binding a socket to one network interface (SO_BINDTODEVICE): it then receives only what
/// arrives on that interface (and what the host sends itself through it), so a service bound
/// to the bridge is not reachable from the underlay even by a packet routed there.
public enum SocketDevice {
  /// Binds `fd` to the interface `name` (needs CAP_NET_RAW, which meshd has as root).
  public static func bind(_ fd: Int32, to name: String) throws {
    var bytes = Array(name.utf8)
    bytes.append(0)
    try Syscall.run("setsockopt(SO_BINDTODEVICE, \(name))") {
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, &bytes, socklen_t(bytes.count))
    }
  }
}

extension UDPSocket {
  /// Restricts the socket to the interface `name` (see ``SocketDevice``).
  public func bindToDevice(_ name: String) throws {
    try SocketDevice.bind(fd, to: name)
  }
}
