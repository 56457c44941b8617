#if canImport(Glibc)
  import Glibc
#endif

/// Sends ``ServiceNotification``s to the service manager that started this process, over the
/// datagram socket `$NOTIFY_SOCKET` names. Without that variable (not run as a `Type=notify`
/// unit) there is no notifier and nothing is sent.
public struct ServiceNotifier: Sendable {
  /// Where the datagrams go.
  public let address: NotifySocketAddress

  /// A notifier for `address`.
  public init(address: NotifySocketAddress) { self.address = address }

  /// The notifier `$NOTIFY_SOCKET` names, or nil when it is unset or unusable.
  public static func fromEnvironment() -> ServiceNotifier? {
    guard let raw = getenv("NOTIFY_SOCKET") else { return nil }
    return NotifySocketAddress(String(cString: raw)).map(ServiceNotifier.init)
  }

  /// Sends one message. A socket of its own per message, as sd_notify does: the service
  /// manager may be restarted (re-executed) between two messages.
  public func send(_ message: ServiceNotification) throws {
    let fd = try Syscall.run("socket(AF_UNIX, SOCK_DGRAM)") {
      socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
    defer { Syscall.close(fd) }
    var sun = sockaddr_un()
    sun.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = address.pathBytes
    withUnsafeMutableBytes(of: &sun.sun_path) { $0.copyBytes(from: pathBytes) }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count)
    let bytes = message.bytes
    let sent = withUnsafePointer(to: &sun) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        bytes.withUnsafeBytes { Glibc.sendto(fd, $0.baseAddress, $0.count, 0, sa, length) }
      }
    }
    guard sent == bytes.count else {
      throw SystemError(call: "sendto(NOTIFY_SOCKET)", errno: sent < 0 ? errno : EMSGSIZE)
    }
  }
}
