#if canImport(Glibc)
  import Glibc
#endif

/// A failed system call: the call's name and the `errno` it left, with the C library's text.
///
/// Every kernel-facing function of the IO layer reports failures with this type (or with a
/// more specific error that wraps it), so callers can match on `errno` values.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The name of the failed call, such as `"sendto"` or `"netlink RTM_NEWLINK"`.
  public var call: String
  /// The `errno` value.
  public var errno: Int32
  /// Extra detail, such as the kernel's extended netlink acknowledgement text.
  public var detail: String?

  /// Creates an error from a call name and an `errno` value.
  public init(call: String, errno: Int32, detail: String? = nil) {
    self.call = call
    self.errno = errno
    self.detail = detail
  }

  /// True for `EAGAIN`/`EWOULDBLOCK`: a non-blocking call found nothing to do, or a receive
  /// timeout expired.
  public var isWouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }

  /// True for `EPERM`/`EACCES`: the process lacks a capability or a permission.
  public var isPermissionDenied: Bool { errno == EPERM || errno == EACCES }

  /// True for `EINVAL`: the kernel refused an argument (for example a frame layout it does
  /// not support).
  public var isInvalidArgument: Bool { errno == EINVAL }

  /// `call: strerror(errno) (errno N)`, followed by the detail if any.
  public var description: String {
    let text = strerror(errno).map { String(cString: $0) } ?? "unknown error"
    var s = "\(call): \(text) (errno \(errno))"
    if let detail { s += ": \(detail)" }
    return s
  }
}
