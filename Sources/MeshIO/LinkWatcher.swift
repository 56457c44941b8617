#if canImport(Glibc)
  import Glibc
#endif

/// A non-blocking NETLINK_ROUTE socket subscribed to link notifications (RTMGRP_LINK): the
/// kernel tells it when any link of the namespace is created, changed or deleted, so the
/// runtime learns at once that its TAP or its bridge went away or came back.
///
/// Its ``fd`` goes into the data thread's poller; ``read()`` takes what is waiting. When the
/// kernel dropped notifications because the socket's queue was full, ``read()`` throws
/// ``overrun``: the caller then looks the links up again.
public final class LinkWatcher {
  /// The socket descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32
  private let buffer: UnsafeMutableRawBufferPointer

  /// The rtnetlink multicast group of link notifications (RTMGRP_LINK).
  static let linkGroup: UInt32 = 1
  /// The most datagrams one ``read()`` takes, so a storm of link changes cannot hold the
  /// data thread; what is left stays readable for the next wait.
  static let datagramsPerRead = 64

  /// Notifications were lost (ENOBUFS): the caller must look its links up again.
  public static let overrun = SystemError(call: "recv(link events)", errno: ENOBUFS)

  /// Whether `error` is ``overrun``: notifications were lost and the links must be looked up.
  public static func isOverrun(_ error: any Error) -> Bool {
    (error as? SystemError)?.errno == ENOBUFS
  }

  /// Opens the socket in the calling thread's network namespace and joins the link group.
  public init() throws {
    let fd = try Syscall.run("socket(AF_NETLINK)") {
      socket(
        AF_NETLINK,
        Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    }
    // struct sockaddr_nl: u16 family, u16 pad, u32 pid (0: the kernel picks), u32 groups.
    var address = [UInt8](repeating: 0, count: 12)
    withUnsafeBytes(of: UInt16(AF_NETLINK)) { address.replaceSubrange(0..<2, with: $0) }
    withUnsafeBytes(of: LinkWatcher.linkGroup) { address.replaceSubrange(8..<12, with: $0) }
    do {
      try address.withUnsafeBytes { raw in
        try Syscall.run("bind(RTMGRP_LINK)") {
          bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
      }
    } catch {
      Syscall.close(fd)
      throw error
    }
    self.fd = fd
    buffer = .allocate(byteCount: 64 * 1024, alignment: 8)
  }

  deinit {
    Syscall.close(fd)
    buffer.deallocate()
  }

  /// Closes the socket.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Reads the notifications waiting (up to ``datagramsPerRead`` datagrams) and returns the
  /// link events among them, oldest first. Throws ``overrun`` when the kernel dropped some,
  /// and the parser's error for a malformed message.
  public func read() throws -> [LinkEvent] {
    var events: [LinkEvent] = []
    let fd = self.fd
    let buffer = self.buffer
    for _ in 0..<LinkWatcher.datagramsPerRead {
      let count: Int?
      do {
        count = try Syscall.runNonBlocking("recv(link events)") {
          recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC))
        }
      } catch let error as SystemError where error.errno == ENOBUFS {
        throw LinkWatcher.overrun
      }
      guard let count else { break }
      guard count <= buffer.count else { continue }  // truncated: not a link message we need
      let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
      events += try LinkEvent.decode(try NetlinkParser.messages(bytes))
    }
    return events
  }
}
