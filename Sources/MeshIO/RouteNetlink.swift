#if canImport(Glibc)
  import Glibc
#endif

/// An AF_NETLINK/NETLINK_ROUTE socket that manages links and addresses the way `ip` does,
/// without running any external tool.
///
/// Requests carry increasing sequence numbers and ask for acknowledgements; replies with other
/// sequence numbers (left over from an earlier, abandoned request) are skipped. Kernel errors
/// become ``SystemError`` with the kernel's extended-acknowledgement text when it sends one.
/// The socket belongs to the network namespace of the thread that created it.
///
/// Not thread-safe: use one instance per thread, or serialize calls. The operations on links
/// and addresses are in `RouteNetlink+Operations.swift`.
public final class RouteNetlink {
  /// The socket descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32
  private var sequence: UInt32
  private let receiveBuffer: UnsafeMutableRawBufferPointer

  /// The size of the receive buffer; large enough for any single rtnetlink datagram.
  static let receiveBufferSize = 64 * 1024

  /// Opens a NETLINK_ROUTE socket in the calling thread's network namespace.
  public init() throws {
    fd = try Syscall.run("socket(AF_NETLINK)") {
      socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
    // Extended acknowledgements: the kernel explains EINVAL and friends in text.
    let solNetlink: Int32 = 270
    try? Syscall.setSocketOption(
      fd, level: solNetlink, name: 11, value: 1, call: "setsockopt(NETLINK_EXT_ACK)")
    // Capped acknowledgements: errors do not echo the whole request back.
    try? Syscall.setSocketOption(
      fd, level: solNetlink, name: 10, value: 1, call: "setsockopt(NETLINK_CAP_ACK)")
    sequence = UInt32(truncatingIfNeeded: time(nil))
    receiveBuffer = .allocate(byteCount: Self.receiveBufferSize, alignment: 8)
  }

  deinit {
    Syscall.close(fd)
    receiveBuffer.deallocate()
  }

  /// Closes the socket; later requests fail with EBADF.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Sends `message` with NLM_F_REQUEST|NLM_F_ACK and the next sequence number, and returns
  /// the reply messages that precede the acknowledgement. Throws ``SystemError`` with the
  /// kernel's errno when it refuses the request; `call` names the request in that error.
  public func request(_ message: NetlinkMessageBuilder, call: String) throws -> [NetlinkMessage] {
    try exchange(message, call: call, dump: false)
  }

  /// Sends `message` as a dump request (NLM_F_REQUEST|NLM_F_DUMP) and returns every message
  /// of the multipart reply up to NLMSG_DONE. A dump that the kernel marks as interrupted by a
  /// concurrent change is retried a few times.
  public func dump(_ message: NetlinkMessageBuilder, call: String) throws -> [NetlinkMessage] {
    var attempts = 0
    while true {
      do {
        return try exchange(message, call: call, dump: true)
      } catch let error as SystemError where error.errno == EINTR && attempts < 3 {
        attempts += 1
      }
    }
  }

  private func exchange(_ message: NetlinkMessageBuilder, call: String, dump: Bool) throws
    -> [NetlinkMessage]
  {
    var message = message
    sequence &+= 1
    let seq = sequence
    message.sequence = seq
    var bytes = message.bytes
    let flags =
      dump ? Netlink.Flags.request | Netlink.Flags.dump : Netlink.Flags.request | Netlink.Flags.ack
    let existing = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 6, as: UInt16.self) }
    withUnsafeBytes(of: existing | flags) { raw in
      bytes[6] = raw[0]
      bytes[7] = raw[1]
    }
    let fd = self.fd
    let sent = try bytes.withUnsafeBytes { raw in
      try Syscall.run("send(\(call))") { send(fd, raw.baseAddress, raw.count, 0) }
    }
    guard sent == bytes.count else {
      throw SystemError(call: "send(\(call))", errno: EMSGSIZE, detail: "short netlink send")
    }
    var replies: [NetlinkMessage] = []
    var interrupted = false
    while true {
      for reply in try receiveMessages(call: call) where reply.header.sequence == seq {
        if reply.header.flags & Netlink.Flags.dumpInterrupted != 0 { interrupted = true }
        switch reply.header.type {
        case Netlink.MessageType.error:
          let (code, text) = try NetlinkParser.error(reply)
          if code != 0 { throw SystemError(call: call, errno: code, detail: text) }
          return replies
        case Netlink.MessageType.done:
          if reply.payload.count >= 4 {
            let code = Int32(
              bitPattern: try NetlinkParser.uint32(reply.payload, at: 0, what: "done"))
            if code < 0 { throw SystemError(call: call, errno: -code) }
          }
          if interrupted { throw SystemError(call: call, errno: EINTR, detail: "dump interrupted") }
          return replies
        case Netlink.MessageType.noop:
          continue
        case Netlink.MessageType.overrun:
          throw SystemError(call: call, errno: ENOBUFS, detail: "netlink overrun")
        default:
          replies.append(reply)
        }
      }
    }
  }

  private func receiveMessages(call: String) throws -> [NetlinkMessage] {
    let fd = self.fd
    let buffer = receiveBuffer
    let count = try Syscall.run("recv(\(call))") {
      recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC))
    }
    guard count <= buffer.count else {
      throw SystemError(call: "recv(\(call))", errno: EMSGSIZE, detail: "reply of \(count) B")
    }
    return try NetlinkParser.messages(Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count])))
  }
}
