/// Why a request was rejected, with the status code the server should answer with.
public enum HTTPParseError: Error, Equatable, Sendable {
  /// The request line is not `METHOD SP TARGET SP VERSION` (400).
  case malformedRequestLine
  /// The request target is not a valid origin-form or absolute-form target (400).
  case malformedTarget
  /// A header line is invalid: no colon, bad name, control characters, folding (400).
  case malformedHeader
  /// Content-Length is not a single decimal number (400).
  case badContentLength
  /// The body is longer than `HTTPRequestParser.maxBody` (413).
  case bodyTooLarge
  /// The request line is longer than `HTTPRequestParser.maxRequestLine` (414).
  case requestLineTooLong
  /// The header section is longer than `HTTPRequestParser.maxHeaderBytes` (431).
  case headersTooLarge
  /// More than `HTTPRequestParser.maxHeaders` header fields (431).
  case tooManyHeaders
  /// The method is a valid token but not one the API implements (501).
  case unsupportedMethod
  /// A Transfer-Encoding (such as chunked) was sent; only Content-Length is supported (501).
  case unsupportedTransferEncoding
  /// The version is `HTTP/x.y` but not 1.0 or 1.1 (505).
  case unsupportedVersion

  /// The status code to answer with.
  public var status: Int {
    switch self {
    case .malformedRequestLine, .malformedTarget, .malformedHeader, .badContentLength: return 400
    case .bodyTooLarge: return 413
    case .requestLineTooLong: return 414
    case .headersTooLarge, .tooManyHeaders: return 431
    case .unsupportedMethod, .unsupportedTransferEncoding: return 501
    case .unsupportedVersion: return 505
    }
  }

  /// A short human-readable explanation for the error body.
  public var message: String {
    switch self {
    case .malformedRequestLine: return "malformed request line"
    case .malformedTarget: return "malformed request target"
    case .malformedHeader: return "malformed header field"
    case .badContentLength: return "invalid Content-Length"
    case .bodyTooLarge: return "request body too large"
    case .requestLineTooLong: return "request line too long"
    case .headersTooLarge: return "header section too large"
    case .tooManyHeaders: return "too many header fields"
    case .unsupportedMethod: return "method not implemented"
    case .unsupportedTransferEncoding: return "transfer encodings are not supported"
    case .unsupportedVersion: return "HTTP version not supported"
    }
  }

  /// The response to send before closing the connection: the status and a JSON error body.
  public var response: HTTPResponse {
    HTTPResponse.json(["error": .string(message)], status: status)
  }
}
