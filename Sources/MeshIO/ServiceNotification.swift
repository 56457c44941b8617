/// One message to the service manager (systemd's `sd_notify` protocol, without libsystemd):
/// newline-separated `KEY=VALUE` assignments in one datagram sent to the Unix socket named by
/// `$NOTIFY_SOCKET`. A `Type=notify` unit is started when `READY=1` arrives; `STATUS=` is the
/// one line `systemctl status` shows.
public struct ServiceNotification: Hashable, Sendable {
  /// The assignments, in order.
  public private(set) var assignments: [(key: String, value: String)] = []

  /// An empty message; add assignments with the builders below.
  public init() {}

  /// `READY=1`: start-up is complete.
  public static var ready: ServiceNotification { ServiceNotification().adding("READY", "1") }

  /// `STOPPING=1`: the service is shutting down.
  public static var stopping: ServiceNotification {
    ServiceNotification().adding("STOPPING", "1")
  }

  /// `STATUS=text`: a one-line status for `systemctl status`.
  public static func status(_ text: String) -> ServiceNotification {
    ServiceNotification().adding("STATUS", text)
  }

  /// This message with one more assignment. Line breaks and NULs in `value` become spaces: a
  /// value is one line, or it would end the assignment early and forge the next one.
  public func adding(_ key: String, _ value: String) -> ServiceNotification {
    precondition(
      !key.isEmpty && key.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 65 && $0 <= 90) },
      "notification keys are upper-case names")
    var copy = self
    let clean = String(
      decoding: value.utf8.map { $0 == 10 || $0 == 13 || $0 == 0 ? UInt8(ascii: " ") : $0 },
      as: UTF8.self)
    copy.assignments.append((key, clean))
    return copy
  }

  /// The datagram: `KEY=VALUE` lines, each ended by a newline.
  public var bytes: [UInt8] {
    var out: [UInt8] = []
    for (key, value) in assignments {
      out += Array(key.utf8)
      out.append(UInt8(ascii: "="))
      out += Array(value.utf8)
      out.append(10)
    }
    return out
  }

  /// Two messages are equal when they carry the same assignments in the same order.
  public static func == (a: ServiceNotification, b: ServiceNotification) -> Bool {
    a.assignments.elementsEqual(b.assignments) { $0.key == $1.key && $0.value == $1.value }
  }

  /// Hashes the assignments.
  public func hash(into hasher: inout Hasher) {
    for (key, value) in assignments {
      hasher.combine(key)
      hasher.combine(value)
    }
  }
}

/// Where `$NOTIFY_SOCKET` points: a path (`/run/systemd/notify`) or an abstract name (written
/// with a leading `@`, stored with a leading NUL and no terminating one).
public struct NotifySocketAddress: Hashable, Sendable {
  /// The bytes of `sun_path`, as many as count: the path with its terminating NUL, or the
  /// abstract name after its leading NUL.
  public let pathBytes: [UInt8]

  /// Parses `$NOTIFY_SOCKET`; nil when it is empty, relative, or too long for `sun_path`
  /// (systemd only ever sets an absolute path or an abstract name).
  public init?(_ value: String) {
    var bytes = Array(value.utf8)
    guard let first = bytes.first, !bytes.contains(0) else { return nil }
    switch first {
    case UInt8(ascii: "@"):
      guard bytes.count > 1 else { return nil }
      bytes[0] = 0  // abstract: the length, not a NUL, ends the name
    case UInt8(ascii: "/"):
      bytes.append(0)
    default:
      return nil
    }
    guard bytes.count <= 108 else { return nil }
    pathBytes = bytes
  }

  /// Whether the address is in the abstract namespace (not a file).
  public var isAbstract: Bool { pathBytes.first == 0 }
}
