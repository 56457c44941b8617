import MeshTypes

/// A control API operation, decoded from a request; the daemon's handlers act on it.
public enum ControlRoute: Equatable, Sendable {
  /// `GET /v1/status`: this node's state.
  case status
  /// `GET /v1/peers`: known peers and their sessions.
  case peers
  /// `POST /v1/connect`: connect to `HOST[:PORT]` (not yet resolved).
  case connect(endpoint: String)
  /// `POST /v1/forget`: stop connecting to `HOST[:PORT]` and forget it.
  case forget(endpoint: String)
  /// `GET /metrics`: Prometheus text exposition.
  case metrics
  /// `POST /v1/release?peer=ID`: release the subnet of a host gone for good.
  case release(peer: String)
  /// A name route (`GET /v1/dns`, `POST /v1/dns/add`, `POST /v1/dns/remove`).
  case names(NameRoute)
  /// `POST /v1/expose` (true) or `POST /v1/hide` (false): open this host's own services to
  /// the mesh, or hide them again.
  case exposure(Bool)
}

/// Why a request matches no route, with the response to send.
public enum ControlRouteError: Error, Equatable, Sendable {
  /// No route has this path (404).
  case notFound
  /// The path exists for other methods only (405, with an Allow header).
  case methodNotAllowed(allowed: [HTTPMethod])
  /// The route's parameters are missing or invalid (400).
  case badRequest(String)

  /// The status code.
  public var status: Int {
    switch self {
    case .notFound: return 404
    case .methodNotAllowed: return 405
    case .badRequest: return 400
    }
  }

  /// The error response: a JSON body `{"error": …}` and, for 405, the Allow header.
  public var response: HTTPResponse {
    switch self {
    case .notFound:
      return .json(["error": "not found"], status: status)
    case .methodNotAllowed(let allowed):
      var r = HTTPResponse.json(["error": "method not allowed"], status: status)
      r.headers.set("Allow", allowed.map(\.rawValue).joined(separator: ", "))
      return r
    case .badRequest(let why):
      return .json(["error": .string(why)], status: status)
    }
  }
}

/// Maps a parsed request to a `ControlRoute`: path and method first, then parameters.
///
/// `connect` and `forget` take the endpoint from the query (`?endpoint=HOST:PORT`) or from a
/// JSON body `{"endpoint": "HOST:PORT"}`; if both are given they must agree.
public enum ControlRouter {
  /// The longest endpoint text: a 253-byte DNS name, a colon and a 5-digit port fit.
  public static let maxEndpointLength = 260

  private static let table: [(path: String, method: HTTPMethod)] = [
    ("/v1/status", .get), ("/v1/peers", .get), ("/v1/connect", .post), ("/v1/forget", .post),
    ("/metrics", .get), ("/v1/release", .post), ("/v1/dns", .get), ("/v1/dns/add", .post),
    ("/v1/dns/remove", .post), ("/v1/expose", .post), ("/v1/hide", .post),
  ]

  /// The route for `request`, or why there is none.
  public static func route(_ request: HTTPRequest) -> Result<ControlRoute, ControlRouteError> {
    let methods = table.filter { $0.path == request.path }.map(\.method)
    guard !methods.isEmpty else { return .failure(.notFound) }
    guard methods.contains(request.method) else {
      return .failure(.methodNotAllowed(allowed: methods))
    }
    switch request.path {
    case "/v1/status": return .success(.status)
    case "/v1/peers": return .success(.peers)
    case "/metrics": return .success(.metrics)
    case "/v1/expose", "/v1/hide": return .success(.exposure(request.path == "/v1/expose"))
    case "/v1/release":
      guard let peer = request.queryValue("peer"), PeerID(peer) != nil else {
        return .failure(.badRequest("expected peer=ID, the 16 hex digits of a peer ID"))
      }
      return .success(.release(peer: peer))
    case "/v1/dns", "/v1/dns/add", "/v1/dns/remove":
      return NameRoute.route(request).map { .names($0) }
    case "/v1/connect": return endpoint(of: request).map { .connect(endpoint: $0) }
    default: return endpoint(of: request).map { .forget(endpoint: $0) }
    }
  }

  /// The endpoint parameter from the query or the JSON body, validated as printable text
  /// without spaces of at most `maxEndpointLength` bytes.
  static func endpoint(of request: HTTPRequest) -> Result<String, ControlRouteError> {
    var fromBody: String?
    if !request.body.isEmpty {
      guard let json = try? JSONValue.parse(request.body), case .object(let o) = json else {
        return .failure(.badRequest("body must be a JSON object"))
      }
      if let v = o["endpoint"] {
        guard let s = v.stringValue else {
          return .failure(.badRequest("endpoint must be a string"))
        }
        fromBody = s
      }
    }
    let fromQuery = request.queryValue("endpoint")
    if let q = fromQuery, let b = fromBody, q != b {
      return .failure(.badRequest("query and body name different endpoints"))
    }
    guard let text = fromQuery ?? fromBody else {
      return .failure(.badRequest("missing endpoint (HOST[:PORT])"))
    }
    guard !text.isEmpty, text.utf8.count <= maxEndpointLength,
      text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
    else { return .failure(.badRequest("invalid endpoint")) }
    return .success(text)
  }
}
