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
  let snapshot: @Sendable () -> MeshStatus
  let version: String
  let logger: Logger
  var thread: OSThread?
  let stopFlag = StopFlag()

  /// Where the server listens (with the port the kernel chose, when 0 was asked for).
  public var endpoint: Endpoint { listener.endpoint }

  /// A client whose request is still arriving.
  struct Connection {
    let token: Int
    let stream: UnixStream
    let deadline: MeshInstant
    var parser = HTTPRequestParser()
  }

  /// Binds `endpoint` now (so a bad address is refused before the node starts); `snapshot`
  /// gives the status each scrape renders, `version` labels `meshd_build_info`.
  public init(
    endpoint: Endpoint, version: String = MeshVersion.current, logger: Logger,
    snapshot: @escaping @Sendable () -> MeshStatus
  ) throws {
    listener = try TCPListener(endpoint: endpoint)
    self.snapshot = snapshot
    self.version = version
    self.logger = logger
  }

  deinit { stop() }

  /// Starts serving on a new thread.
  public func start() throws {
    let poller = try Poller(capacity: 32)
    try poller.add(fd: listener.fd, token: 0)
    thread = try OSThread.spawn { [self] in serve(poller) }
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
        while accepted < 16, let stream = try? listener.accept() {
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
    let chunk: [UInt8]
    do {
      chunk = try connection.stream.read(max: 4096)
    } catch let e as SystemError where e.isWouldBlock {
      return false
    } catch {
      return true
    }
    if chunk.isEmpty { return true }
    let response: HTTPResponse
    switch connection.parser.feed(chunk) {
    case .needMore: return false
    case .complete(let request): response = respond(to: request)
    case .error(let e): response = e.response
    }
    // Written blocking but bounded, as the control server does.
    let stream = connection.stream
    _ = try? stream.setNonBlocking(false)
    _ = try? stream.setSendTimeout(seconds: MetricsServer.requestTimeoutSeconds)
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
    let page = MetricsExposition.render(snapshot(), version: version)
    return .text(page, contentType: MetricsExposition.contentType)
  }
}
