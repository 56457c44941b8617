/// An incremental HTTP/1.x request parser for the local control API.
///
/// Feed bytes as they arrive; the parser answers `.needMore` until a whole request (head and
/// Content-Length body) is buffered, then `.complete`. Every bound is checked as bytes arrive,
/// so a client can never make it buffer more than the limits allow. Once it reports `.error`
/// it stays failed: the server answers with `error.response` and closes. Bytes after a
/// complete request stay buffered; call `next()` to parse a pipelined request.
///
/// Supported: methods GET/POST/DELETE/PUT, HTTP/1.0 and 1.1, origin-form and absolute-form
/// targets, CRLF or bare LF line ends, Content-Length bodies. Not supported: any
/// Transfer-Encoding (501), obsolete line folding (400).
public struct HTTPRequestParser: Sendable {
  /// The longest request line, line end excluded (414 beyond).
  public static let maxRequestLine = 2048
  /// The longest header section, from after the request line to the empty line inclusive
  /// (431 beyond).
  public static let maxHeaderBytes = 8 * 1024
  /// The most header fields (431 beyond).
  public static let maxHeaders = 64
  /// The longest body (413 beyond).
  public static let maxBody = 64 * 1024
  /// The most bytes ever buffered: one maximal request.
  public static let maxBuffered = maxRequestLine + 2 + maxHeaderBytes + maxBody

  /// The outcome of feeding bytes.
  public enum Result: Equatable, Sendable {
    /// The request is not complete yet.
    case needMore
    /// A whole request was parsed; its bytes were consumed.
    case complete(HTTPRequest)
    /// The request is invalid; answer with `error.status` and close.
    case error(HTTPParseError)
  }

  private enum State: Sendable {
    /// Looking for the end of the head; `scan` is the next byte to examine.
    case head(scan: Int, lineStart: Int, requestLineEnd: Int?, lines: Int)
    /// Head parsed; waiting until `headEnd + request.body` bytes are buffered.
    case body(HTTPRequest, headEnd: Int, length: Int)
    case failed(HTTPParseError)
  }

  private var buffer: [UInt8] = []
  private var state = State.head(scan: 0, lineStart: 0, requestLineEnd: nil, lines: 0)

  /// A parser waiting for the first byte of a request.
  public init() {}

  /// Bytes received but not yet consumed by a complete request.
  public var bufferedByteCount: Int { buffer.count }

  /// Appends `bytes` and parses as far as possible.
  public mutating func feed<C: Collection<UInt8>>(_ bytes: C) -> Result {
    if case .failed(let e) = state { return .error(e) }
    buffer.append(contentsOf: bytes)
    return advance()
  }

  /// Parses a request from bytes already buffered (after a `.complete`).
  public mutating func next() -> Result { feed(EmptyCollection()) }

  private mutating func advance() -> Result {
    while true {
      switch state {
      case .failed(let e):
        return .error(e)
      case .head(let scan, let lineStart, let requestLineEnd, let lines):
        switch scanHead(scan: scan, lineStart: lineStart, requestLineEnd, lines: lines) {
        case .success(let headEnd?):
          switch HTTPHeadParser.parse(buffer[0..<headEnd]) {
          case .failure(let e): return fail(e)
          case .success(let (request, length)):
            state = .body(request, headEnd: headEnd, length: length)
          }
        case .success(nil):
          return buffer.count > Self.maxBuffered ? fail(.headersTooLarge) : .needMore
        case .failure(let e):
          return fail(e)
        }
      case .body(var request, let headEnd, let length):
        guard buffer.count >= headEnd + length else {
          return buffer.count > Self.maxBuffered ? fail(.bodyTooLarge) : .needMore
        }
        request.body = Array(buffer[headEnd..<headEnd + length])
        buffer.removeSubrange(0..<headEnd + length)
        state = .head(scan: 0, lineStart: 0, requestLineEnd: nil, lines: 0)
        return .complete(request)
      }
    }
  }

  /// Scans for the empty line that ends the head, enforcing the size limits as it goes.
  /// Returns the end offset of the head, or nil (state saved) when more bytes are needed.
  private mutating func scanHead(
    scan: Int, lineStart: Int, _ requestLineEnd: Int?, lines: Int
  ) -> Swift.Result<Int?, HTTPParseError> {
    var i = scan
    var lineStart = lineStart
    var requestLineEnd = requestLineEnd
    var lines = lines
    let lf = UInt8(ascii: "\n")
    while i < buffer.count {
      if buffer[i] == lf {
        var lineLength = i - lineStart
        if lineLength > 0 && buffer[i - 1] == UInt8(ascii: "\r") { lineLength -= 1 }
        if requestLineEnd == nil {
          guard lineLength <= Self.maxRequestLine else { return .failure(.requestLineTooLong) }
          requestLineEnd = i + 1
        } else if lineLength == 0 {
          guard i + 1 - requestLineEnd! <= Self.maxHeaderBytes else {
            return .failure(.headersTooLarge)
          }
          return .success(i + 1)
        } else {
          lines += 1
          guard lines <= Self.maxHeaders else { return .failure(.tooManyHeaders) }
        }
        lineStart = i + 1
      }
      i += 1
      if let start = requestLineEnd {
        guard i - start <= Self.maxHeaderBytes else { return .failure(.headersTooLarge) }
      } else {
        guard i - lineStart <= Self.maxRequestLine + 1 else {
          return .failure(.requestLineTooLong)
        }
      }
    }
    state = .head(scan: i, lineStart: lineStart, requestLineEnd: requestLineEnd, lines: lines)
    return .success(nil)
  }

  private mutating func fail(_ error: HTTPParseError) -> Result {
    state = .failed(error)
    buffer = []
    return .error(error)
  }
}
