/// A UDP endpoint on the underlay: an IPv4 or IPv6 address and a port.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
  /// The address family and bytes.
  public enum Address: Hashable, Sendable {
    /// An IPv4 address, first octet most significant.
    case v4(UInt32)
    /// An IPv6 address as two big-endian halves.
    case v6(UInt64, UInt64)
  }

  /// The address.
  public var address: Address
  /// The UDP port.
  public var port: UInt16

  /// The default UDP port of meshd.
  public static let defaultPort: UInt16 = 6786

  /// Creates an endpoint from its parts.
  public init(address: Address, port: UInt16) {
    self.address = address
    self.port = port
  }

  /// Parses `A.B.C.D`, `A.B.C.D:PORT`, `[V6]:PORT` or a bare IPv6 address; the port defaults to
  /// `defaultPort`. Host names are not resolved here.
  public init?(_ text: String, defaultPort: UInt16 = Endpoint.defaultPort) {
    var host = Substring(text)
    var port = defaultPort
    if host.hasPrefix("[") {
      guard let close = host.firstIndex(of: "]") else { return nil }
      let rest = host[host.index(after: close)...]
      host = host[host.index(after: host.startIndex)..<close]
      if !rest.isEmpty {
        guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()), p != 0 else { return nil }
        port = p
      }
      guard let a = Endpoint.parseV6(host) else { return nil }
      self.init(address: a, port: port)
      return
    }
    let colons = host.filter { $0 == ":" }.count
    if colons > 1 {
      guard let a = Endpoint.parseV6(host) else { return nil }
      self.init(address: a, port: port)
      return
    }
    if colons == 1 {
      let i = host.firstIndex(of: ":")!
      guard let p = UInt16(host[host.index(after: i)...]), p != 0 else { return nil }
      port = p
      host = host[..<i]
    }
    guard let a = Endpoint.parseV4(host) else { return nil }
    self.init(address: .v4(a), port: port)
  }

  /// Parses dotted-quad IPv4 text.
  public static func parseV4(_ s: Substring) -> UInt32? {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var v: UInt32 = 0
    for p in parts {
      guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
        let b = UInt8(p)
      else { return nil }
      v = v << 8 | UInt32(b)
    }
    return v
  }

  /// Parses IPv6 text with at most one `::`; no zone or embedded IPv4.
  public static func parseV6(_ s: Substring) -> Address? {
    var halves: [String] = []
    var rest = Substring(s)
    while let r = rest.firstRange(of: "::") {
      halves.append(String(rest[..<r.lowerBound]))
      rest = rest[r.upperBound...]
    }
    halves.append(String(rest))
    guard halves.count <= 2 else { return nil }
    func groups(_ t: String) -> [UInt16]? {
      if t.isEmpty { return [] }
      var out: [UInt16] = []
      for g in t.split(separator: ":", omittingEmptySubsequences: false) {
        guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
        out.append(v)
      }
      return out
    }
    guard let head = groups(halves[0]) else { return nil }
    var all = head
    if halves.count == 2 {
      guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
      all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
    guard all.count == 8 else { return nil }
    var hi: UInt64 = 0
    var lo: UInt64 = 0
    for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
    for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
    return .v6(hi, lo)
  }

  /// True for an IPv6 endpoint.
  public var isIPv6: Bool {
    if case .v6 = address { return true }
    return false
  }

  /// `A.B.C.D:PORT` or `[V6]:PORT`, the IPv6 address in the canonical text form of RFC 5952
  /// (lowercase, the longest run of two or more zero groups, the first of equals, as `::`).
  public var description: String {
    switch address {
    case .v4(let a):
      return "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF):\(port)"
    case .v6(let hi, let lo):
      let groups = (0..<8).map { i in
        UInt16(truncatingIfNeeded: (i < 4 ? hi : lo) >> (48 - 16 * (i % 4)))
      }
      return "[\(Endpoint.ipv6Text(groups))]:\(port)"
    }
  }

  /// The eight 16-bit groups of an IPv6 address as RFC 5952 text.
  static func ipv6Text(_ groups: [UInt16]) -> String {
    var (bestStart, bestLength, start, length) = (-1, 1, 0, 0)
    for (i, g) in groups.enumerated() {
      if g == 0 {
        if length == 0 { start = i }
        length += 1
        if length > bestLength { (bestStart, bestLength) = (start, length) }
      } else {
        length = 0
      }
    }
    let hex = groups.map { String($0, radix: 16) }
    guard bestStart >= 0 else { return hex.joined(separator: ":") }
    let head = hex[..<bestStart].joined(separator: ":")
    let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
    return "\(head)::\(tail)"
  }
}

extension Endpoint {
  /// True for the wildcard addresses 0.0.0.0 and ::, which listen everywhere but cannot be
  /// announced to peers.
  public var isUnspecified: Bool {
    switch address {
    case .v4(let a): a == 0
    case .v6(let hi, let lo): hi == 0 && lo == 0
    }
  }
}

extension Endpoint {
  /// Why this endpoint cannot be reached from a UDP socket bound to `listen`, or nil when it
  /// can: an IPv4 socket cannot send to IPv6, and an IPv6 socket bound to one IPv6 address
  /// cannot send to IPv4 (the IPv6 wildcard is dual-stack and can).
  public func unreachableReason(from listen: Endpoint) -> String? {
    if isIPv6, !listen.isIPv6 {
      return "it is IPv6 and the listen address IPv4 (listen on [::]:PORT for both)"
    }
    if !isIPv6, listen.isIPv6, !listen.isUnspecified {
      return "it is IPv4 and the listen address one IPv6 address (listen on [::]:PORT)"
    }
    return nil
  }
}

extension Endpoint {
  /// Whether the address may be announced to other hosts: not the wildcard, not loopback
  /// (127/8, ::1), not link-local (169.254/16, fe80::/10), not multicast.
  public var isAnnounceable: Bool {
    switch address {
    case .v4(let a):
      return a != 0 && a >> 24 != 127 && a >> 16 != 0xA9FE && a >> 28 != 0xE
    case .v6(let hi, let lo):
      if hi == 0 && (lo == 0 || lo == 1) { return false }
      if hi >> 54 == 0x3FA { return false }  // fe80::/10
      if hi >> 56 == 0xFF { return false }  // multicast
      return true
    }
  }

  /// Whether the address is private (RFC 1918, 100.64/10 shared address space, IPv6 unique
  /// local fc00::/7): one that only hosts behind the same NAT or on the same site can reach.
  public var isPrivate: Bool {
    switch address {
    case .v4(let a):
      return a >> 24 == 10 || a >> 20 == 0xAC1 || a >> 16 == 0xC0A8 || a >> 22 == 0x191
    case .v6(let hi, _):
      return hi >> 57 == 0x7E
    }
  }
}
