/// A domain name as a list of labels (raw bytes, root excluded).
///
/// Equality and hashing ignore ASCII case, as DNS requires (RFC 4343), while the labels keep
/// the case they were given, so an answer can echo a question's spelling.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
  /// The labels from the leftmost; empty for the root.
  public private(set) var labels: [[UInt8]]

  /// The root name.
  public static let root = DNSName(checkedLabels: [])

  /// Wraps labels already known to be within the bounds.
  package init(checkedLabels: [[UInt8]]) { labels = checkedLabels }

  /// Wraps labels, checking ``DNSLimits/maxLabel`` and ``DNSLimits/maxName``; nil when
  /// a label is empty or a bound is exceeded.
  public init?(labels: [[UInt8]]) {
    var total = 1
    for label in labels {
      guard !label.isEmpty, label.count <= DNSLimits.maxLabel else { return nil }
      total += label.count + 1
    }
    guard total <= DNSLimits.maxName else { return nil }
    self.labels = labels
  }

  /// Parses dotted text (`web.mesh.internal`, with or without the final dot); nil for empty
  /// labels or names beyond the bounds. `"."` and `""` are the root.
  public init?(_ text: String) {
    var t = Substring(text)
    if t.hasSuffix(".") { t = t.dropLast() }
    if t.isEmpty {
      self.init(checkedLabels: [])
      return
    }
    self.init(
      labels: t.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) })
  }

  /// The bytes this name takes uncompressed on the wire.
  public var wireLength: Int { labels.reduce(1) { $0 + $1.count + 1 } }

  /// Whether this name is `other` or lies below it.
  public func isSubdomain(of other: DNSName) -> Bool {
    guard labels.count >= other.labels.count else { return false }
    return DNSName(checkedLabels: Array(labels.suffix(other.labels.count))) == other
  }

  /// The labels left of `suffix` (which must be a suffix: see ``isSubdomain(of:)``).
  public func relative(to suffix: DNSName) -> [[UInt8]] {
    Array(labels.prefix(labels.count - suffix.labels.count))
  }

  /// This name with `suffix` appended; nil when the result exceeds the bounds.
  public func appending(_ suffix: DNSName) -> DNSName? {
    DNSName(labels: labels + suffix.labels)
  }

  /// The name with every ASCII letter lowercased.
  public var lowercased: DNSName {
    DNSName(checkedLabels: labels.map { $0.map(DNSName.lower) })
  }

  /// Dotted text with a final dot omitted (`.` for the root); bytes outside printable ASCII,
  /// dots and backslashes inside labels are escaped as `\DDD`.
  public var description: String {
    guard !labels.isEmpty else { return "." }
    return labels.map { label in
      var s = ""
      for b in label {
        if b > 0x20, b < 0x7F, b != UInt8(ascii: "."), b != UInt8(ascii: "\\") {
          s.unicodeScalars.append(Unicode.Scalar(b))
        } else {
          let digits = String(b)
          s += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
        }
      }
      return s
    }.joined(separator: ".")
  }

  static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

  /// Compares names ignoring ASCII case.
  public static func == (a: DNSName, b: DNSName) -> Bool {
    guard a.labels.count == b.labels.count else { return false }
    for (x, y) in zip(a.labels, b.labels) {
      guard x.count == y.count else { return false }
      for (p, q) in zip(x, y) where lower(p) != lower(q) { return false }
    }
    return true
  }

  /// Hashes the lowercased labels, consistent with ``==(_:_:)``.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(labels.count)
    for label in labels {
      hasher.combine(label.count)
      for b in label { hasher.combine(DNSName.lower(b)) }
    }
  }
}
