/// A peer as an operator names it: `HOST[:PORT]`, with HOST a DNS name or an IPv4 or IPv6
/// address (`[V6]:PORT`). A name is resolved by the runtime (at start, and again when the peer
/// stays unreachable); an address literal is its own endpoint.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
  /// The host name, or the address text of a literal.
  public var host: String
  /// The UDP port.
  public var port: UInt16
  /// The endpoint when the host is an address literal; nil for a name.
  public var literal: Endpoint?

  /// The longest DNS name (RFC 1035).
  public static let maxNameLength = 253

  /// Parses `HOST[:PORT]`; the port defaults to `defaultPort`. Nil for text that is neither
  /// an address nor a valid DNS name (letters, digits, `-`, `_` and dots, labels of at most 63
  /// bytes), or for a port of 0.
  public init?(_ text: String, defaultPort: UInt16 = Endpoint.defaultPort) {
    if let endpoint = Endpoint(text, defaultPort: defaultPort) {
      self.literal = endpoint
      self.port = endpoint.port
      var address = endpoint.description
      address.removeLast("\(endpoint.port)".count + 1)
      self.host = address
      return
    }
    var name = Substring(text)
    var port = defaultPort
    if let colon = name.firstIndex(of: ":") {
      guard let p = UInt16(name[name.index(after: colon)...]), p != 0 else { return nil }
      port = p
      name = name[..<colon]
    }
    guard HostPort.isValidName(name) else { return nil }
    // A name that looks like an address but did not parse as one ("1.2.3", "999.1.1.1") is a
    // typo, not a host name.
    if name.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) { return nil }
    self.host = String(name)
    self.port = port
    self.literal = nil
  }

  /// An address literal as a host.
  public init(_ endpoint: Endpoint) {
    self.init(endpoint.description)!
  }

  /// Whether the host is a DNS name that must be resolved.
  public var isName: Bool { literal == nil }

  /// Whether `name` is a DNS host name: labels of 1 to 63 letters, digits, `-` or `_`, joined
  /// by dots (one trailing dot allowed), 253 bytes at most.
  public static func isValidName(_ name: Substring) -> Bool {
    var name = name
    if name.hasSuffix(".") { name = name.dropLast() }
    guard !name.isEmpty, name.utf8.count <= maxNameLength else { return false }
    for label in name.split(separator: ".", omittingEmptySubsequences: false) {
      guard (1...63).contains(label.utf8.count), !label.hasPrefix("-"), !label.hasSuffix("-"),
        label.utf8.allSatisfy({ isNameByte($0) })
      else { return false }
    }
    return true
  }

  private static func isNameByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
      || b == 0x5F
  }

  /// `HOST:PORT`, or `[V6]:PORT` for an IPv6 literal.
  public var description: String {
    literal?.description ?? "\(host):\(port)"
  }
}
