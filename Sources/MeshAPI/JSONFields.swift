/// Typed reads of one JSON object's members, each failure naming the member's path: the small
/// mapping the typed decoders (`MeshStatus(json:)`) use instead of `Codable`.
struct JSONFields {
  private let object: JSONObject
  /// The path of this object in the document (`peers[2]`), empty at the top.
  let path: String

  /// The members of `value`, which must be an object.
  init(_ value: JSONValue, path: String = "") throws(StatusDecodingError) {
    guard case .object(let o) = value else { throw StatusDecodingError(path: path) }
    object = o
    self.path = path
  }

  /// The path of the member `key`.
  func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  private func fail(_ key: String) -> StatusDecodingError { StatusDecodingError(path: path(key)) }

  /// Whether the member `key` is present.
  func contains(_ key: String) -> Bool { object[key] != nil }

  /// The member `key`, which must be present.
  func value(_ key: String) throws(StatusDecodingError) -> JSONValue {
    guard let v = object[key] else { throw fail(key) }
    return v
  }

  /// A string member.
  func string(_ key: String) throws(StatusDecodingError) -> String {
    guard case .string(let s)? = object[key] else { throw fail(key) }
    return s
  }

  /// A string member that may be null or absent.
  func optionalString(_ key: String) throws(StatusDecodingError) -> String? {
    switch object[key] {
    case nil, .null?: return nil
    case .string(let s)?: return s
    default: throw fail(key)
    }
  }

  /// A Boolean member that may be null or absent.
  func optionalBool(_ key: String) throws(StatusDecodingError) -> Bool? {
    switch object[key] {
    case nil, .null?: return nil
    case .bool(let b)?: return b
    default: throw fail(key)
    }
  }

  /// A string member parsed by `parse`, which returns nil for text it refuses.
  func parsed<T>(_ key: String, _ parse: (String) -> T?) throws(StatusDecodingError) -> T {
    guard let v = parse(try string(key)) else { throw fail(key) }
    return v
  }

  /// A parsed string member that may be null or absent.
  func optionalParsed<T>(
    _ key: String, _ parse: (String) -> T?
  ) throws(StatusDecodingError) -> T? {
    guard let text = try optionalString(key) else { return nil }
    guard let v = parse(text) else { throw fail(key) }
    return v
  }

  /// An integer member.
  func int(_ key: String) throws(StatusDecodingError) -> Int {
    guard case .int(let n)? = object[key] else { throw fail(key) }
    return n
  }

  /// A counter: a non-negative integer.
  func count(_ key: String) throws(StatusDecodingError) -> UInt64 {
    let n = try int(key)
    guard n >= 0 else { throw fail(key) }
    return UInt64(n)
  }

  /// A number member that may be null or absent (an integral number reads as a double too).
  func optionalDouble(_ key: String) throws(StatusDecodingError) -> Double? {
    switch object[key] {
    case nil, .null?: return nil
    case .double(let d)?: return d
    case .int(let n)?: return Double(n)
    default: throw fail(key)
    }
  }

  /// An array member, each element read by `element` with its own path (`peers[2]`).
  func array<T>(
    _ key: String, _ element: (JSONValue, String) throws(StatusDecodingError) -> T
  ) throws(StatusDecodingError) -> [T] {
    guard case .array(let items)? = object[key] else { throw fail(key) }
    var out: [T] = []
    out.reserveCapacity(items.count)
    for (i, item) in items.enumerated() { out.append(try element(item, "\(path(key))[\(i)]")) }
    return out
  }
}
