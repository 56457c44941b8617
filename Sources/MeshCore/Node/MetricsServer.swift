import Logging
import MeshAPI
import MeshIO
import MeshLogic
import MeshTypes

/// `GET /metrics` over TCP for Prometheus (`--metrics-listen ADDR:PORT`; off by default),
/// served from a thread of its own so that a slow scraper never stalls the data path.
///
/// As the control server: one epoll loop serves many clients at once, each with a deadline for
/// its whole request, at most `maxConnections` open (a new one past that closes the oldest),
/// one request per connection. The page is rendered from a status snapshot per scrape.
public final class MetricsServer: @unchecked Sendable {
  /// How long a client may take to send its whole request.
  public static let requestTimeoutSeconds = 2.0
  /// The most connections served at once.
  public static let maxConnections = 16

  let listener: TCPListener
  let page: @Sendable () -> String
  let logger: Logger
  var thread: OSThread?
  let stopFlag = StopFlag()

  /// Where the server listens (with the port the kernel chose, when 0 was asked for).
  public var endpoint: Endpoint { listener.localEndpoint }

  /// A client whose request is still arriving.
  struct Connection {
    let token: Int
    let stream: TCPStream
    let deadline: MeshInstant
    var parser = HTTPRequestParser()
  }

  /// Binds `endpoint` now (so a bad address is refused before the node starts); `page`
  /// renders the page for each scrape (see `page(_:facts:)`).
  public init(endpoint: Endpoint, logger: Logger, page: @escaping @Sendable () -> String) throws {
    listener = try TCPListener(bindingTo: endpoint)
    self.page = page
    self.logger = logger
  }

  /// The `/metrics` page for a status snapshot and the host's facts: the mesh's families and
  /// the DNS server's (the control socket serves the same page).
  public static func page(_ status: MeshStatus, facts: MeshStatus.HostFacts) -> String {
    MetricsExposition.render(status, version: facts.version) + (facts.dns?.prometheus ?? "")
  }

  deinit { stop() }

  /// Starts serving on a new thread.
  public func start() throws {
    let poller = try Poller(capacity: 32)
    try poller.add(fd: listener.fd, token: 0)
    thread = try OSThread.spawn(name: "meshd-metrics") { [self] in serve(poller) }
  }

  /// Stops serving and closes the socket.
  public func stop() {
    if let t = thread {
      thread = nil
      stopFlag.set()
      t.join()
    }
    listener.close()
  }

  func serve(_ poller: Poller) {
    var open: [Connection] = []
    var nextToken = 1
    var ready = [ReadyEvent](repeating: ReadyEvent(), count: 32)
    let clock = SystemClock()
    while !stopFlag.isSet {
      let n = (try? poller.wait(timeoutMilliseconds: 100, into: &ready)) ?? 0
      for event in ready.prefix(n) where event.token != 0 {
        guard let i = open.firstIndex(where: { $0.token == event.token }) else { continue }
        if serveReadable(&open[i]) { close(open.remove(at: i), poller) }
      }
      if ready.prefix(n).contains(where: { $0.token == 0 }) {
        var accepted = 0
        while accepted < 16, let (stream, _) = (try? listener.accept()) ?? nil {
          accepted += 1
          guard (try? poller.add(fd: stream.fd, token: nextToken)) != nil else {
            stream.close()
            continue
          }
          if open.count >= MetricsServer.maxConnections { close(open.removeFirst(), poller) }
          let deadline = clock.now().adding(seconds: MetricsServer.requestTimeoutSeconds)
          open.append(Connection(token: nextToken, stream: stream, deadline: deadline))
          nextToken = nextToken == Int.max ? 1 : nextToken + 1
        }
      }
      let now = clock.now()
      while let i = open.firstIndex(where: { $0.deadline <= now }) {
        close(open.remove(at: i), poller)
      }
    }
    for c in open { close(c, poller) }
    poller.close()
  }

  func close(_ connection: Connection, _ poller: Poller) {
    try? poller.remove(fd: connection.stream.fd)
    connection.stream.close()
  }

  /// Reads what a client sent; answers once its request is complete or bad. Returns true when
  /// the connection is done.
  func serveReadable(_ connection: inout Connection) -> Bool {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count: Int
    do {
      guard let n = try buffer.withUnsafeMutableBytes({ try connection.stream.read(into: $0) })
      else { return false }
      count = n
    } catch {
      return true
    }
    if count == 0 { return true }
    let chunk = Array(buffer.prefix(count))
    let response: HTTPResponse
    switch connection.parser.feed(chunk) {
    case .needMore: return false
    case .complete(let request): response = respond(to: request)
    case .error(let e): response = e.response
    }
    // Written blocking but bounded, as the control server does.
    let stream = connection.stream
    _ = try? stream.setBlocking(sendTimeoutSeconds: MetricsServer.requestTimeoutSeconds)
    try? stream.writeAll(response.serialize())
    return true
  }

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
