/// The request methods the control API accepts; anything else is answered with 501.
public enum HTTPMethod: String, Equatable, Hashable, Sendable, CaseIterable {
  /// Read a resource.
  case get = "GET"
  /// Act (connect, forget).
  case post = "POST"
  /// Remove a resource.
  case delete = "DELETE"
  /// Replace a resource.
  case put = "PUT"
}

/// The protocol versions the parser accepts; anything else is answered with 505.
public enum HTTPVersion: String, Equatable, Sendable {
  /// HTTP/1.0.
  case http10 = "HTTP/1.0"
  /// HTTP/1.1.
  case http11 = "HTTP/1.1"
}

/// One `name=value` pair of a query string, both percent-decoded.
public struct HTTPQueryItem: Equatable, Sendable {
  /// The decoded name.
  public var name: String
  /// The decoded value; empty for a bare `name`.
  public var value: String

  /// Creates a query item.
  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// A complete, validated HTTP/1.x request as produced by `HTTPRequestParser`.
public struct HTTPRequest: Equatable, Sendable {
  /// The method.
  public var method: HTTPMethod
  /// The request target exactly as received (origin-form or absolute-form).
  public var target: String
  /// The percent-decoded path, starting with `/`.
  public var path: String
  /// The decoded query items in order (`+` decodes to a space).
  public var query: [HTTPQueryItem]
  /// The protocol version.
  public var version: HTTPVersion
  /// The header fields.
  public var headers: HTTPHeaders
  /// The body (Content-Length bytes; empty without Content-Length).
  public var body: [UInt8]

  /// Creates a request (tests and in-process callers).
  public init(
    method: HTTPMethod, target: String, path: String, query: [HTTPQueryItem] = [],
    version: HTTPVersion = .http11, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []
  ) {
    self.method = method
    self.target = target
    self.path = path
    self.query = query
    self.version = version
    self.headers = headers
    self.body = body
  }

  /// The value of the first query item called `name`, or nil.
  public func queryValue(_ name: String) -> String? {
    query.first { $0.name == name }?.value
  }
}
