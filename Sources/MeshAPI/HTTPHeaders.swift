/// One header field as received or to be sent.
public struct HTTPHeaderField: Equatable, Sendable {
  /// The field name as written (compare with `HTTPHeaders.equalNames`).
  public var name: String
  /// The field value, surrounding whitespace removed.
  public var value: String

  /// Creates a field.
  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// An ordered list of header fields with case-insensitive lookup by name, as HTTP requires.
public struct HTTPHeaders: Equatable, Sendable, ExpressibleByDictionaryLiteral {
  /// The fields in order of arrival (or insertion).
  public private(set) var fields: [HTTPHeaderField]

  /// An empty header list.
  public init() { fields = [] }

  /// A header list with the given fields, in order.
  public init(_ fields: [HTTPHeaderField]) { self.fields = fields }

  /// A header list from a literal such as `["Content-Type": "application/json"]`.
  public init(dictionaryLiteral elements: (String, String)...) {
    fields = elements.map { HTTPHeaderField(name: $0.0, value: $0.1) }
  }

  /// The number of fields.
  public var count: Int { fields.count }

  /// The first value of the field `name` (any case), or nil.
  public subscript(_ name: String) -> String? {
    fields.first { Self.equalNames($0.name, name) }?.value
  }

  /// Every value of the field `name` (any case), in order.
  public func values(for name: String) -> [String] {
    fields.filter { Self.equalNames($0.name, name) }.map(\.value)
  }

  /// Whether a field `name` (any case) is present.
  public func contains(_ name: String) -> Bool { self[name] != nil }

  /// Appends a field, keeping any existing ones with the same name.
  public mutating func add(_ name: String, _ value: String) {
    fields.append(HTTPHeaderField(name: name, value: value))
  }

  /// Replaces every field `name` (any case) with one field holding `value`.
  public mutating func set(_ name: String, _ value: String) {
    remove(name)
    add(name, value)
  }

  /// Removes every field `name` (any case).
  public mutating func remove(_ name: String) {
    fields.removeAll { Self.equalNames($0.name, name) }
  }

  /// ASCII case-insensitive comparison of two field names.
  public static func equalNames(_ a: String, _ b: String) -> Bool {
    let x = a.utf8
    let y = b.utf8
    guard x.count == y.count else { return false }
    return zip(x, y).allSatisfy { lowerASCII($0) == lowerASCII($1) }
  }

  private static func lowerASCII(_ c: UInt8) -> UInt8 {
    (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
  }
}
