import Logging
import MeshAPI
import MeshIO
import MeshLogic
import MeshTypes

/// `GET /metrics` over TCP for Prometheus (`--metrics-listen ADDR:PORT`; off by default),
/// served from a thread of its own so that a slow scraper never stalls the data path.
///
/// As the control server (see `RequestServer`): many clients at once, each with a deadline
/// for its whole request, at most `maxConnections` open, one request per connection. The page
/// is rendered from a status snapshot per scrape.
public final class MetricsServer: @unchecked Sendable {
  /// How long a client may take to send its whole request.
  public static let requestTimeoutSeconds = 2.0
  /// The most connections served at once.
  public static let maxConnections = 16

  let server: RequestServer<TCPListener>
  let page: @Sendable () -> String
  let logger: Logger

  /// Where the server listens (with the port the kernel chose, when 0 was asked for).
  public var endpoint: Endpoint { server.listener.localEndpoint }

  /// Binds `endpoint` now (so a bad address is refused before the node starts); `page`
  /// renders the page for each scrape (see `page(_:facts:)`).
  public init(endpoint: Endpoint, logger: Logger, page: @escaping @Sendable () -> String) throws {
    server = RequestServer(
      listener: try TCPListener(bindingTo: endpoint), name: "meshd-metrics",
      maxConnections: MetricsServer.maxConnections,
      requestTimeoutSeconds: MetricsServer.requestTimeoutSeconds)
    self.page = page
    self.logger = logger
  }

  /// The `/metrics` page for a status snapshot and the host's facts: the mesh's families and
  /// the DNS server's (the control socket serves the same page).
  public static func page(_ status: MeshStatus, facts: MeshStatus.HostFacts) -> String {
    MetricsExposition.render(status, version: facts.version) + (facts.dns?.prometheus ?? "")
  }

  /// Starts serving on a new thread.
  public func start() throws {
    let logger = self.logger
    try server.start(respond: { [self] in respond(to: $0) }) {
      logger.debug("metrics request refused: \($0.message)")
    }
  }

  /// Stops serving and closes the socket.
  public func stop() { server.stop() }

  /// The answer to one request: the page for `GET /metrics`, 404 or 405 otherwise.
  func respond(to request: HTTPRequest) -> HTTPResponse {
    guard request.path == "/metrics" else {
      return .json(["error": "not found: this port serves GET /metrics only"], status: 404)
    }
    guard request.method == .get else {
      var r = HTTPResponse.json(["error": "method not allowed"], status: 405)
      r.headers.set("Allow", "GET")
      return r
    }
    return .text(page(), contentType: MetricsExposition.contentType)
  }
}
