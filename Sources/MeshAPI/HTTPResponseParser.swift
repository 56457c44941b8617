/// An incremental HTTP/1.x response parser: the client side of the control API, the
/// counterpart of `HTTPRequestParser`, so `meshd`'s CLI reads exactly what `HTTPResponse`
/// writes with one codec instead of a second, looser one.
///
/// Feed bytes as they arrive and call `finish()` when the connection closes; the parser
/// answers `.needMore` until the head and the body are complete, then `.complete`. The body is
/// Content-Length bytes, or everything up to the close when there is no Content-Length (HTTP's
/// rule for a response). Every bound is checked as bytes arrive, so a peer can never make it
/// buffer more than the limits allow. Once it reports `.error` or `.complete` it keeps
/// answering the same: one response per connection (the daemon sends `Connection: close`),
/// and bytes after the body are ignored.
///
/// ```swift
/// var parser = HTTPResponseParser()
/// var result = parser.feed(chunk)          // .needMore, .complete(response) or .error(e)
/// if result == .needMore { result = parser.finish() }   // at end of stream
/// ```
public struct HTTPResponseParser: Sendable {
  /// The longest status line, line end excluded.
  public static let maxStatusLine = 1024
  /// The longest header section, from after the status line to the empty line inclusive.
  public static let maxHeaderBytes = 8 * 1024
  /// The most header fields.
  public static let maxHeaders = 64
  /// The longest body: a `/v1/status` document of some thousands of peers fits.
  public static let maxBody = 4 * 1024 * 1024
  /// The most bytes ever buffered: one maximal response.
  public static let maxBuffered = maxStatusLine + 2 + maxHeaderBytes + maxBody

  /// The outcome of feeding bytes or of the end of the stream.
  public enum Result: Equatable, Sendable {
    /// The response is not complete yet.
    case needMore
    /// The whole response.
    case complete(HTTPResponse)
    /// The response is invalid or was cut short.
    case error(HTTPResponseParseError)
  }

  private enum State: Sendable {
    /// Looking for the end of the head; `scan` is the next byte to examine.
    case head(scan: Int, lineStart: Int, statusLineEnd: Int?, lines: Int)
    /// Head parsed; the body starts at `headEnd` and is `length` bytes, or runs to the close.
    case body(HTTPResponse, headEnd: Int, length: Int?)
    /// Done, successfully or not.
    case finished(Result)
  }

  private var buffer: [UInt8] = []
  private var state = State.head(scan: 0, lineStart: 0, statusLineEnd: nil, lines: 0)

  /// A parser waiting for the first byte of a response.
  public init() {}

  /// Bytes received and not yet handed out in a response.
  public var bufferedByteCount: Int { buffer.count }

  /// Appends `bytes` and parses as far as possible.
  public mutating func feed<C: Collection<UInt8>>(_ bytes: C) -> Result {
    if case .finished(let r) = state { return r }
    buffer.append(contentsOf: bytes)
    return advance(closed: false)
  }

  /// The connection closed: completes a body that runs to the close, or reports `.truncated`.
  public mutating func finish() -> Result {
    if case .finished(let r) = state { return r }
    return advance(closed: true)
  }

  private mutating func advance(closed: Bool) -> Result {
    while true {
      switch state {
      case .finished(let r):
        return r
      case .head(let scan, let lineStart, let statusLineEnd, let lines):
        switch scanHead(scan: scan, lineStart: lineStart, statusLineEnd, lines: lines) {
        case .success(let headEnd?):
          switch Self.parseHead(buffer[0..<headEnd]) {
          case .failure(let e): return end(.error(e))
          case .success(let (response, length)):
            state = .body(response, headEnd: headEnd, length: length)
          }
        case .success(nil):
          return closed ? end(.error(.truncated)) : .needMore
        case .failure(let e):
          return end(.error(e))
        }
      case .body(var response, let headEnd, let length?):
        guard buffer.count >= headEnd + length else {
          return closed ? end(.error(.truncated)) : .needMore
        }
        response.body = Array(buffer[headEnd..<headEnd + length])
        return end(.complete(response))
      case .body(var response, let headEnd, nil):
        guard buffer.count - headEnd <= Self.maxBody else { return end(.error(.bodyTooLarge)) }
        guard closed else { return .needMore }
        response.body = Array(buffer[headEnd...])
        return end(.complete(response))
      }
    }
  }

  /// Scans for the empty line that ends the head, enforcing the size limits as it goes.
  /// Returns the end offset of the head, or nil (state saved) when more bytes are needed.
  private mutating func scanHead(
    scan: Int, lineStart: Int, _ statusLineEnd: Int?, lines: Int
  ) -> Swift.Result<Int?, HTTPResponseParseError> {
    var i = scan
    var lineStart = lineStart
    var statusLineEnd = statusLineEnd
    var lines = lines
    while i < buffer.count {
      if buffer[i] == UInt8(ascii: "\n") {
        var lineLength = i - lineStart
        if lineLength > 0 && buffer[i - 1] == UInt8(ascii: "\r") { lineLength -= 1 }
        if let start = statusLineEnd {
          if lineLength == 0 {
            guard i + 1 - start <= Self.maxHeaderBytes else { return .failure(.headersTooLarge) }
            return .success(i + 1)
          }
          lines += 1
          guard lines <= Self.maxHeaders else { return .failure(.tooManyHeaders) }
        } else {
          guard lineLength <= Self.maxStatusLine else { return .failure(.statusLineTooLong) }
          statusLineEnd = i + 1
        }
        lineStart = i + 1
      }
      i += 1
      if let start = statusLineEnd {
        guard i - start <= Self.maxHeaderBytes else { return .failure(.headersTooLarge) }
      } else {
        guard i - lineStart <= Self.maxStatusLine + 1 else { return .failure(.statusLineTooLong) }
      }
    }
    state = .head(scan: i, lineStart: lineStart, statusLineEnd: statusLineEnd, lines: lines)
    return .success(nil)
  }

  private mutating func end(_ result: Result) -> Result {
    state = .finished(result)
    buffer = []
    return result
  }

  /// Parses a complete, size-checked head into a response without body and the body length
  /// (nil: to the close).
  static func parseHead(
    _ head: ArraySlice<UInt8>, allowChunked: Bool = false
  ) -> Swift.Result<(HTTPResponse, Int?), HTTPResponseParseError> {
    let lines = HTTPHeadParser.lines(head)
    guard let statusLine = lines.first else { return .failure(.malformedStatusLine) }
    var response: HTTPResponse
    switch parseStatusLine(statusLine) {
    case .failure(let e): return .failure(e)
    case .success(let r): response = r
    }
    for line in lines.dropFirst() {
      guard let field = HTTPHeadParser.parseField(line) else { return .failure(.malformedHeader) }
      response.headers.add(field.name, field.value)
    }
    if let coding = response.headers.values(for: "Transfer-Encoding").first {
      // A streaming reader (`HTTPResponseStream`) takes exactly `chunked`; it decodes the
      // body, so the length is "none".
      guard allowChunked, response.headers.values(for: "Transfer-Encoding").count == 1,
        coding.lowercased() == "chunked", !response.headers.contains("Content-Length")
      else { return .failure(.unsupportedTransferEncoding) }
      return .success((response, nil))
    }
    switch HTTPHeadParser.contentLength(response.headers, max: maxBody) {
    case .invalid: return .failure(.badContentLength)
    case .tooLarge: return .failure(.bodyTooLarge)
    case .absent: return .success((response, nil))
    case .length(let n): return .success((response, n))
    }
  }

  /// `HTTP/1.x SP 3DIGIT [SP reason]`; the reason may be empty, and holds no control
  /// characters but tab.
  private static func parseStatusLine(
    _ line: ArraySlice<UInt8>
  ) -> Swift.Result<HTTPResponse, HTTPResponseParseError> {
    let parts = line.split(
      separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count >= 2 else { return .failure(.malformedStatusLine) }
    guard HTTPVersion(rawValue: String(decoding: parts[0], as: UTF8.self)) != nil else {
      return .failure(
        HTTPHeadParser.isVersionShaped(parts[0]) ? .unsupportedVersion : .malformedStatusLine)
    }
    let code = parts[1]
    guard code.count == 3, let first = code.first, (0x31...0x35).contains(first),
      code.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
    else { return .failure(.malformedStatusLine) }
    let reason = parts.count == 3 ? parts[2] : []
    guard reason.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
      return .failure(.malformedStatusLine)
    }
    let status = code.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    return .success(
      HTTPResponse(status: status, reason: String(decoding: reason, as: UTF8.self)))
  }
}
