/// A network interface name that the kernel would refuse: empty, longer than IFNAMSIZ-1 (15)
/// bytes, `.` or `..`, or containing `/`, `:`, whitespace or NUL.
public struct InterfaceNameError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The rejected name.
  public var name: String
  /// Why it was rejected.
  public var reason: String

  /// Creates an error for `name`.
  public init(name: String, reason: String) {
    self.name = name
    self.reason = reason
  }

  /// `invalid interface name "NAME": REASON`.
  public var description: String { "invalid interface name \"\(name)\": \(reason)" }
}

/// Validation of Linux interface names, shared by TAP creation and rtnetlink requests.
public enum InterfaceName {
  /// The longest valid name in bytes (IFNAMSIZ - 1).
  public static let maximumLength = 15

  /// Throws ``InterfaceNameError`` unless `name` is a name the kernel accepts
  /// (the rules of the kernel's `dev_valid_name`).
  public static func validate(_ name: String) throws {
    let bytes = Array(name.utf8)
    if bytes.isEmpty { throw InterfaceNameError(name: name, reason: "empty") }
    if bytes.count > maximumLength {
      throw InterfaceNameError(
        name: name, reason: "\(bytes.count) bytes, at most \(maximumLength) allowed")
    }
    if name == "." || name == ".." { throw InterfaceNameError(name: name, reason: "reserved") }
    for b in bytes where b == 0x2F || b == 0x3A || b == 0 || b == 0x20 || (0x09...0x0D).contains(b)
    {
      throw InterfaceNameError(name: name, reason: "contains '/', ':', NUL or whitespace")
    }
  }
}
