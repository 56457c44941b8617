/// Parses a complete, size-checked request head (request line and header fields, up to and
/// including the empty line) into an `HTTPRequest` without body and the body length. Its field,
/// line and Content-Length rules are shared with `HTTPResponseParser`.
enum HTTPHeadParser {
  static func parse(_ head: ArraySlice<UInt8>) -> Result<(HTTPRequest, Int), HTTPParseError> {
    let lines = Self.lines(head)
    guard let requestLine = lines.first else { return .failure(.malformedRequestLine) }
    var request: HTTPRequest
    switch parseRequestLine(requestLine) {
    case .failure(let e): return .failure(e)
    case .success(let r): request = r
    }
    for line in lines.dropFirst() {
      guard let field = parseField(line) else { return .failure(.malformedHeader) }
      request.headers.add(field.name, field.value)
    }
    if request.headers.contains("Transfer-Encoding") {
      return .failure(.unsupportedTransferEncoding)
    }
    switch contentLength(request.headers, max: HTTPRequestParser.maxBody) {
    case .invalid: return .failure(.badContentLength)
    case .tooLarge: return .failure(.bodyTooLarge)
    case .absent: return .success((request, 0))
    case .length(let n): return .success((request, n))
    }
  }

  /// What the Content-Length fields of a message say.
  enum ContentLength: Equatable {
    /// No Content-Length field.
    case absent
    /// A valid length of at most the limit.
    case length(Int)
    /// A valid number above the limit.
    case tooLarge
    /// Not a number, or fields that disagree.
    case invalid
  }

  /// Reads Content-Length (every copy must agree and be plain decimal digits), shared by the
  /// request and response parsers.
  static func contentLength(_ headers: HTTPHeaders, max: Int) -> ContentLength {
    let lengths = headers.values(for: "Content-Length")
    guard let first = lengths.first else { return .absent }
    guard lengths.allSatisfy({ $0 == first }) else { return .invalid }
    guard !first.isEmpty, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
      return .invalid
    }
    // Digits only, so the only way Int() fails is overflow: certainly too large.
    guard let n = Int(first), n <= max else { return .tooLarge }
    return .length(n)
  }

  /// Splits a complete head into its lines, line ends (LF or CRLF) removed and the empty
  /// line that ends the head dropped.
  static func lines(_ head: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
      .map { line in line.last == UInt8(ascii: "\r") ? line.dropLast() : line }
    // The head ends with "\n" after an empty line: drop the two trailing empty pieces.
    while let last = lines.last, last.isEmpty { lines.removeLast() }
    return lines
  }

  private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<
    HTTPRequest, HTTPParseError
  > {
    let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
    guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
      return .failure(.malformedRequestLine)
    }
    guard parts[0].allSatisfy(isTokenChar) else { return .failure(.malformedRequestLine) }
    let versionText = String(decoding: parts[2], as: UTF8.self)
    guard let version = HTTPVersion(rawValue: versionText) else {
      return .failure(isVersionShaped(parts[2]) ? .unsupportedVersion : .malformedRequestLine)
    }
    guard let method = HTTPMethod(rawValue: String(decoding: parts[0], as: UTF8.self)) else {
      return .failure(.unsupportedMethod)
    }
    let rawTarget = parts[1]
    guard rawTarget.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !rawTarget.contains(0x23) else {
      return .failure(.malformedTarget)
    }
    let target = String(decoding: rawTarget, as: UTF8.self)
    var pathAndQuery = rawTarget[...]
    for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
      let afterScheme = pathAndQuery.dropFirst(scheme.utf8.count)
      let slash = afterScheme.firstIndex(of: UInt8(ascii: "/"))
      let question = afterScheme.firstIndex(of: UInt8(ascii: "?"))
      if let s = slash, question.map({ s < $0 }) ?? true {
        pathAndQuery = afterScheme[s...]
      } else {
        // "http://host" or "http://host?q": the path is "/".
        let q = question.map { afterScheme[$0...] } ?? afterScheme[afterScheme.endIndex...]
        pathAndQuery = ArraySlice([UInt8(ascii: "/")] + q)
      }
    }
    guard pathAndQuery.first == UInt8(ascii: "/") else { return .failure(.malformedTarget) }
    let q = pathAndQuery.firstIndex(of: UInt8(ascii: "?"))
    let rawPath = pathAndQuery[pathAndQuery.startIndex..<(q ?? pathAndQuery.endIndex)]
    guard let path = PercentDecoding.decode(rawPath, plusIsSpace: false) else {
      return .failure(.malformedTarget)
    }
    var query: [HTTPQueryItem] = []
    if let q {
      guard let items = PercentDecoding.queryItems(pathAndQuery[(q + 1)...]) else {
        return .failure(.malformedTarget)
      }
      query = items
    }
    return .success(
      HTTPRequest(method: method, target: target, path: path, query: query, version: version))
  }

  /// One `name: value` field line (line end removed), shared with `HTTPResponseParser`; nil
  /// for a line without a colon, a name that is not a token, or control characters.
  static func parseField(_ line: ArraySlice<UInt8>) -> HTTPHeaderField? {
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
    let name = line[line.startIndex..<colon]
    guard !name.isEmpty, name.allSatisfy(isTokenChar) else { return nil }
    var value = line[(colon + 1)...]
    while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
    while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
    guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else { return nil }
    return HTTPHeaderField(
      name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
  }

  /// RFC 9110 `tchar`.
  static func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      return true
    default:
      return "!#$%&'*+-.^_`|~".utf8.contains(c)
    }
  }

  /// Whether `text` is `HTTP/d.d`: a well-formed version, if not a supported one.
  static func isVersionShaped(_ text: ArraySlice<UInt8>) -> Bool {
    let v = Array(text)
    let isDigit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
    return v.count == 8 && v[0..<5].elementsEqual("HTTP/".utf8) && isDigit(v[5])
      && v[6] == UInt8(ascii: ".") && isDigit(v[7])
  }
}
