/// A JSON document: the bodies of control API requests and responses.
///
/// Integers and floating-point numbers are kept apart so counters serialize exactly.
/// Serialization is always valid JSON: strings are escaped (control characters included) and
/// non-finite doubles, which JSON cannot express, are written as `null`.
public indirect enum JSONValue: Equatable, Sendable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number without fraction or exponent that fits an `Int`.
  case int(Int)
  /// Any other number.
  case double(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object with ordered keys.
  case object(JSONObject)

  /// Parses a request body, or with `maxInput: JSONParser.maxResponseInput` a response body;
  /// see `JSONParser` for the bounds.
  public static func parse(
    _ bytes: [UInt8], maxInput: Int = JSONParser.maxInput
  ) throws(JSONError) -> JSONValue {
    try JSONParser.parse(bytes, maxInput: maxInput)
  }

  /// The member `key` of an object, or nil (also for non-objects).
  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }

  /// The string, if this is a string.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The integer, if this is an integer.
  public var intValue: Int? {
    if case .int(let i) = self { return i }
    return nil
  }

  /// The compact serialization as UTF-8 bytes.
  public func serializedBytes() -> [UInt8] {
    var out: [UInt8] = []
    write(to: &out)
    return out
  }

  /// The compact serialization.
  public func serialized() -> String {
    String(decoding: serializedBytes(), as: UTF8.self)
  }

  private func write(to out: inout [UInt8]) {
    switch self {
    case .null: out += Array("null".utf8)
    case .bool(let b): out += Array((b ? "true" : "false").utf8)
    case .int(let i): out += Array(String(i).utf8)
    case .double(let d):
      if !d.isFinite {
        out += Array("null".utf8)
      } else if d == d.rounded(), abs(d) < 1e15 {
        out += Array(String(Int(d)).utf8) + Array(".0".utf8)
      } else {
        out += Array(d.description.utf8)
      }
    case .string(let s): Self.writeString(s, to: &out)
    case .array(let a):
      out.append(UInt8(ascii: "["))
      for (i, v) in a.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        v.write(to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let o):
      out.append(UInt8(ascii: "{"))
      for (i, m) in o.members.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        Self.writeString(m.key, to: &out)
        out.append(UInt8(ascii: ":"))
        m.value.write(to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  private static func writeString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for c in s.utf8 {
      switch c {
      case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
      case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
      case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
      case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
      case 0..<0x20, 0x7F:
        let hex = Array("0123456789abcdef".utf8)
        out += Array("\\u00".utf8) + [hex[Int(c >> 4)], hex[Int(c & 0xF)]]
      default: out.append(c)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  /// `null`.
  public init(nilLiteral: ()) { self = .null }
  /// A boolean.
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  /// An integer.
  public init(integerLiteral value: Int) { self = .int(value) }
  /// A double.
  public init(floatLiteral value: Double) { self = .double(value) }
  /// A string.
  public init(stringLiteral value: String) { self = .string(value) }
  /// An array.
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  /// An object with the literal's key order.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    var o = JSONObject()
    for (k, v) in elements { o[k] = v }
    self = .object(o)
  }
}
