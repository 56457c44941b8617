/// Why a response from the daemon was rejected: the client reports it and gives up.
public enum HTTPResponseParseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The status line is not `HTTP/1.x SP 3DIGIT [SP reason]`.
  case malformedStatusLine
  /// The version is `HTTP/x.y` but not 1.0 or 1.1.
  case unsupportedVersion
  /// A header line is invalid: no colon, bad name, control characters, folding.
  case malformedHeader
  /// Content-Length is not a single decimal number.
  case badContentLength
  /// The status line is longer than `HTTPResponseParser.maxStatusLine`.
  case statusLineTooLong
  /// The header section is longer than `HTTPResponseParser.maxHeaderBytes`.
  case headersTooLarge
  /// More than `HTTPResponseParser.maxHeaders` header fields.
  case tooManyHeaders
  /// The body is longer than `HTTPResponseParser.maxBody`.
  case bodyTooLarge
  /// A Transfer-Encoding (such as chunked) was sent; only Content-Length is supported.
  case unsupportedTransferEncoding
  /// The connection closed before the head, or the Content-Length body, was complete.
  case truncated
  /// A chunked body broke its framing or a bound (`ChunkedDecoder`).
  case badChunk

  /// A short explanation for the operator's error line.
  public var description: String {
    switch self {
    case .malformedStatusLine: return "malformed status line"
    case .unsupportedVersion: return "HTTP version not supported"
    case .malformedHeader: return "malformed header field"
    case .badContentLength: return "invalid Content-Length"
    case .statusLineTooLong: return "status line too long"
    case .headersTooLarge: return "header section too large"
    case .tooManyHeaders: return "too many header fields"
    case .bodyTooLarge: return "body too large"
    case .unsupportedTransferEncoding: return "transfer encodings are not supported"
    case .truncated: return "connection closed before the response was complete"
    case .badChunk: return "malformed chunked body"
    }
  }
}
