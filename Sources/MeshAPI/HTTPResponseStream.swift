/// An incremental reader of one HTTP/1.1 response whose body may be streamed: the client side
/// of the Docker Engine API, whose event stream never ends and comes chunked.
///
/// The head is bounded as `HTTPResponseParser` bounds it (and parsed by the same code); the
/// body is framed by Content-Length, by chunked coding (`ChunkedDecoder`, bounded), or by
/// the close. Body bytes are handed out as they arrive, never buffered here; a caller that
/// wants the whole body bounds what it keeps.
public struct HTTPResponseStream: Sendable {
  /// What one `feed` produced.
  public struct Output: Equatable, Sendable {
    /// The response head (status and headers, no body), in the call that completed it.
    public var head: HTTPResponse?
    /// Body bytes that arrived, decoded.
    public var body: [UInt8] = []
    /// True once the body is complete.
    public var complete = false
  }

  private enum Framing: Sendable {
    case length(remaining: Int)
    case chunked(ChunkedDecoder)
    case close
  }

  private var headBuffer: [UInt8] = []
  private var framing: Framing?
  private var finished = false

  /// A reader waiting for the status line.
  public init() {}

  /// Takes `bytes` as they came from the connection.
  public mutating func feed(_ bytes: some Collection<UInt8>) throws(HTTPResponseParseError)
    -> Output
  {
    var output = Output()
    guard !finished else {
      output.complete = true
      return output
    }
    var rest = ArraySlice(bytes)
    if framing == nil {
      guard let (head, remainder) = try takeHead(rest) else { return output }
      output.head = head
      rest = remainder
    }
    switch framing {
    case .length(let remaining):
      let take = min(remaining, rest.count)
      output.body.append(contentsOf: rest.prefix(take))
      framing = .length(remaining: remaining - take)
      if remaining - take == 0 { finished = true }
    case .chunked(var decoder):
      try decoder.decode(rest, into: &output.body)
      framing = .chunked(decoder)
      if decoder.isComplete { finished = true }
    case .close:
      output.body.append(contentsOf: rest)
    case nil:
      break
    }
    output.complete = finished
    return output
  }

  /// The connection closed: fine for a body that runs to the close (or is complete), else
  /// `.truncated`.
  public mutating func finish() throws(HTTPResponseParseError) {
    if finished { return }
    guard case .close = framing else { throw .truncated }
    finished = true
  }

  /// Buffers head bytes until the empty line; then parses the head, sets the framing and
  /// returns the head and the bytes after it.
  private mutating func takeHead(
    _ bytes: ArraySlice<UInt8>
  ) throws(HTTPResponseParseError) -> (HTTPResponse, ArraySlice<UInt8>)? {
    let before = headBuffer.count
    headBuffer.append(contentsOf: bytes)
    let limit = HTTPResponseParser.maxStatusLine + 2 + HTTPResponseParser.maxHeaderBytes
    // Look for "\n\r\n" or "\n\n", starting a little before the new bytes.
    var i = max(0, before - 3)
    var end: Int?
    while i < headBuffer.count {
      if headBuffer[i] == UInt8(ascii: "\n") {
        if i + 1 < headBuffer.count, headBuffer[i + 1] == UInt8(ascii: "\n") {
          end = i + 2
          break
        }
        if i + 2 < headBuffer.count, headBuffer[i + 1] == UInt8(ascii: "\r"),
          headBuffer[i + 2] == UInt8(ascii: "\n")
        {
          end = i + 3
          break
        }
      }
      i += 1
    }
    guard let end else {
      guard headBuffer.count <= limit else { throw .headersTooLarge }
      return nil
    }
    guard end <= limit else { throw .headersTooLarge }
    // Status line, fields, the empty line.
    let lines = headBuffer[0..<end].count { $0 == UInt8(ascii: "\n") }
    guard lines <= HTTPResponseParser.maxHeaders + 2 else { throw .tooManyHeaders }
    let head: HTTPResponse
    let length: Int?
    switch HTTPResponseParser.parseHead(headBuffer[0..<end], allowChunked: true) {
    case .failure(let e): throw e
    case .success(let parsed): (head, length) = parsed
    }
    if head.headers.contains("Transfer-Encoding") {
      framing = .chunked(ChunkedDecoder())
    } else if let length {
      framing = .length(remaining: length)
      if length == 0 { finished = true }
    } else {
      framing = .close
    }
    let remainder = ArraySlice(headBuffer[end...])
    headBuffer = []
    return (head, remainder)
  }
}
