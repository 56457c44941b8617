/// A response of the control API, serialized with Content-Length and `Connection: close`
/// (one request per connection keeps the server trivial).
public struct HTTPResponse: Equatable, Sendable {
  /// The status code.
  public var status: Int
  /// The reason phrase; defaults to the standard one for `status`.
  public var reason: String
  /// Header fields; Content-Length and Connection are replaced on serialization.
  public var headers: HTTPHeaders
  /// The body.
  public var body: [UInt8]

  /// Creates a response.
  public init(
    status: Int, reason: String? = nil, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []
  ) {
    self.status = status
    self.reason = reason ?? HTTPResponse.reasonPhrase(for: status)
    self.headers = headers
    self.body = body
  }

  /// A response with a JSON body and `Content-Type: application/json`.
  public static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
    var body = value.serializedBytes()
    body.append(UInt8(ascii: "\n"))
    return HTTPResponse(
      status: status, headers: ["Content-Type": "application/json"], body: body)
  }

  /// A plain-text response (Prometheus metrics use `text/plain; version=0.0.4`).
  public static func text(
    _ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8"
  ) -> HTTPResponse {
    HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
  }

  /// The serialized response: status line, headers, Content-Length, `Connection: close`, body.
  /// CR and LF inside the reason, names or values are replaced by spaces, so a value taken
  /// from user input can never inject a header.
  public func serialize() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(128 + body.count)
    let code = min(max(status, 100), 999)
    out += Array("HTTP/1.1 \(code) ".utf8)
    Self.appendSanitized(reason, to: &out)
    out += [0x0D, 0x0A]
    var fields = headers
    fields.remove("Content-Length")
    fields.remove("Connection")
    fields.add("Content-Length", String(body.count))
    fields.add("Connection", "close")
    for field in fields.fields {
      Self.appendSanitized(field.name, to: &out)
      out += [UInt8(ascii: ":"), UInt8(ascii: " ")]
      Self.appendSanitized(field.value, to: &out)
      out += [0x0D, 0x0A]
    }
    out += [0x0D, 0x0A]
    out += body
    return out
  }

  /// The standard reason phrase of the codes the API uses; "Unknown" otherwise.
  public static func reasonPhrase(for status: Int) -> String {
    switch status {
    case 200: return "OK"
    case 201: return "Created"
    case 202: return "Accepted"
    case 204: return "No Content"
    case 400: return "Bad Request"
    case 403: return "Forbidden"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 409: return "Conflict"
    case 413: return "Content Too Large"
    case 414: return "URI Too Long"
    case 431: return "Request Header Fields Too Large"
    case 500: return "Internal Server Error"
    case 501: return "Not Implemented"
    case 503: return "Service Unavailable"
    case 505: return "HTTP Version Not Supported"
    default: return "Unknown"
    }
  }

  private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
    for c in text.utf8 { out.append(c == 0x0D || c == 0x0A ? 0x20 : c) }
  }
}
