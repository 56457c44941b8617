/// Why a JSON document was rejected, and where.
public struct JSONError: Error, Equatable, Sendable {
  /// The byte offset at which parsing failed.
  public var offset: Int
  /// A short description.
  public var message: String

  /// Creates an error.
  public init(offset: Int, message: String) {
    self.offset = offset
    self.message = message
  }
}

/// A strict, bounded RFC 8259 parser for request bodies.
///
/// Bounds: at most `maxInput` bytes and `maxDepth` nested arrays/objects, so no body can make
/// it recurse or allocate without limit. Strict: no trailing commas, comments, duplicate keys,
/// lone surrogates, raw control characters in strings, non-finite numbers or trailing bytes.
public struct JSONParser {
  /// The largest document: the control API's request body limit.
  public static let maxInput = HTTPRequestParser.maxBody
  /// The largest response document the CLI reads (a `/v1/status` of many peers): the
  /// response parser's body limit.
  public static let maxResponseInput = HTTPResponseParser.maxBody
  /// The deepest nesting of arrays and objects.
  public static let maxDepth = 32

  private let bytes: [UInt8]
  private var i = 0

  private init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// Parses one JSON value (surrounded by optional whitespace) from `bytes`, of at most
  /// `limit` bytes (`maxInput` for requests, `maxResponseInput` for the daemon's answers).
  public static func parse(
    _ bytes: [UInt8], maxInput limit: Int = maxInput
  ) throws(JSONError) -> JSONValue {
    guard bytes.count <= limit else { throw JSONError(offset: 0, message: "document too large") }
    var p = JSONParser(bytes)
    p.skipSpace()
    let value = try p.value(depth: 0)
    p.skipSpace()
    guard p.i == bytes.count else { throw p.error("trailing characters") }
    return value
  }

  private func error(_ message: String) -> JSONError { JSONError(offset: i, message: message) }

  private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

  private mutating func skipSpace() {
    while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
  }

  private mutating func expect(_ word: String) throws(JSONError) {
    for c in word.utf8 {
      guard peek == c else { throw error("invalid literal") }
      i += 1
    }
  }

  private mutating func value(depth: Int) throws(JSONError) -> JSONValue {
    guard let c = peek else { throw error("unexpected end") }
    switch c {
    case UInt8(ascii: "{"): return try object(depth: depth + 1)
    case UInt8(ascii: "["): return try array(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      try expect("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expect("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expect("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
    default: throw error("unexpected character")
    }
  }

  private mutating func array(depth: Int) throws(JSONError) -> JSONValue {
    guard depth <= Self.maxDepth else { throw error("nesting too deep") }
    i += 1
    var items: [JSONValue] = []
    skipSpace()
    if peek == UInt8(ascii: "]") {
      i += 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try value(depth: depth))
      skipSpace()
      guard let c = peek else { throw error("unterminated array") }
      i += 1
      if c == UInt8(ascii: "]") { return .array(items) }
      guard c == UInt8(ascii: ",") else { throw error("expected , or ]") }
    }
  }

  private mutating func object(depth: Int) throws(JSONError) -> JSONValue {
    guard depth <= Self.maxDepth else { throw error("nesting too deep") }
    i += 1
    var object = JSONObject()
    skipSpace()
    if peek == UInt8(ascii: "}") {
      i += 1
      return .object(object)
    }
    while true {
      skipSpace()
      guard peek == UInt8(ascii: "\"") else { throw error("expected key") }
      let key = try string()
      guard object[key] == nil else { throw error("duplicate key") }
      skipSpace()
      guard peek == UInt8(ascii: ":") else { throw error("expected :") }
      i += 1
      skipSpace()
      object[key] = try value(depth: depth)
      skipSpace()
      guard let c = peek else { throw error("unterminated object") }
      i += 1
      if c == UInt8(ascii: "}") { return .object(object) }
      guard c == UInt8(ascii: ",") else { throw error("expected , or }") }
    }
  }

  private mutating func string() throws(JSONError) -> String {
    let start = i
    i += 1
    var out: [UInt8] = []
    while true {
      guard let c = peek else { throw error("unterminated string") }
      i += 1
      switch c {
      case UInt8(ascii: "\""):
        guard let s = String(validating: out, as: UTF8.self) else {
          throw JSONError(offset: start, message: "invalid UTF-8")
        }
        return s
      case UInt8(ascii: "\\"):
        try escape(into: &out)
      case 0..<0x20:
        throw error("control character in string")
      default:
        out.append(c)
      }
    }
  }

  private mutating func escape(into out: inout [UInt8]) throws(JSONError) {
    guard let c = peek else { throw error("unterminated escape") }
    i += 1
    switch c {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
    case UInt8(ascii: "b"): out.append(0x08)
    case UInt8(ascii: "f"): out.append(0x0C)
    case UInt8(ascii: "n"): out.append(0x0A)
    case UInt8(ascii: "r"): out.append(0x0D)
    case UInt8(ascii: "t"): out.append(0x09)
    case UInt8(ascii: "u"):
      var scalar = UInt32(try hex4())
      if (0xD800..<0xDC00).contains(scalar) {
        guard peek == UInt8(ascii: "\\") else { throw error("lone surrogate") }
        i += 1
        guard peek == UInt8(ascii: "u") else { throw error("lone surrogate") }
        i += 1
        let low = UInt32(try hex4())
        guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate") }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      }
      guard let u = Unicode.Scalar(scalar) else { throw error("lone surrogate") }
      out += Array(String(Character(u)).utf8)
    default:
      throw error("invalid escape")
    }
  }

  private mutating func hex4() throws(JSONError) -> UInt16 {
    var v: UInt16 = 0
    for _ in 0..<4 {
      guard let c = peek, let d = Self.hexDigit(c) else { throw error("invalid \\u escape") }
      v = v << 4 | UInt16(d)
      i += 1
    }
    return v
  }

  private static func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
  }

  private mutating func number() throws(JSONError) -> JSONValue {
    let start = i
    var integral = true
    if peek == UInt8(ascii: "-") { i += 1 }
    if peek == UInt8(ascii: "0") {
      i += 1
    } else {
      guard digits() > 0 else { throw error("invalid number") }
    }
    if peek == UInt8(ascii: ".") {
      i += 1
      integral = false
      guard digits() > 0 else { throw error("invalid number") }
    }
    if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
      i += 1
      integral = false
      if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
      guard digits() > 0 else { throw error("invalid number") }
    }
    let text = String(decoding: bytes[start..<i], as: UTF8.self)
    if integral, let n = Int(text) { return .int(n) }
    guard let d = Double(text), d.isFinite else {
      throw JSONError(offset: start, message: "number out of range")
    }
    return .double(d)
  }

  private mutating func digits() -> Int {
    let start = i
    while let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { i += 1 }
    return i - start
  }
}
