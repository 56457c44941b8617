import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The local control API: HTTP/1.1 with JSON on a Unix socket (mode 0660), served from its own
/// thread so that a slow client never stalls the data path. One request per connection.
public final class ControlServer: @unchecked Sendable {
  /// How long a client may take to send its request.
  public static let requestTimeoutSeconds = 2

  let listener: UnixSocketListener
  let node: MeshNode
  let facts: @Sendable () -> MeshStatus.HostFacts
  let logger: Logger
  var thread: pthread_t?
  let stopFlag = StopFlag()

  /// Listens on `path` (replacing a stale socket there) with mode 0660 and, when given, group
  /// `group`.
  public init(
    path: String, group: UInt32? = nil, node: MeshNode, logger: Logger,
    facts: @escaping @Sendable () -> MeshStatus.HostFacts
  ) throws {
    self.listener = try UnixSocketListener(path: path, mode: 0o660, group: group)
    self.node = node
    self.facts = facts
    self.logger = logger
  }

  deinit { stop() }

  /// Starts serving on a new thread.
  public func start() throws {
    var t = pthread_t()
    let box = Unmanaged.passRetained(self).toOpaque()
    let rc = pthread_create(
      &t, nil,
      { raw in
        let server = Unmanaged<ControlServer>.fromOpaque(raw!).takeRetainedValue()
        server.serve()
        return nil
      }, box)
    guard rc == 0 else {
      Unmanaged<ControlServer>.fromOpaque(box).release()
      throw SystemError(call: "pthread_create", errno: rc)
    }
    thread = t
  }

  /// Stops serving and removes the socket file.
  public func stop() {
    guard let t = thread else { return }
    thread = nil
    stopFlag.set()
    pthread_join(t, nil)
    listener.close()
  }

  func serve() {
    while !stopFlag.isSet {
      var pfd = pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)
      guard poll(&pfd, 1, 200) > 0 else { continue }
      guard let stream = try? listener.accept() else { continue }
      handle(stream)
    }
  }

  func handle(_ stream: UnixStream) {
    defer { stream.close() }
    try? stream.setReceiveTimeout(seconds: ControlServer.requestTimeoutSeconds)
    var parser = HTTPRequestParser()
    var response: HTTPResponse
    reading: while true {
      guard let chunk = try? stream.read(max: 4096), !chunk.isEmpty else { return }
      switch parser.feed(chunk) {
      case .needMore: continue
      case .complete(let request):
        response = respond(to: request)
        break reading
      case .error(let e):
        response = HTTPResponse.json(
          status: e.status, .object([("error", .string(e.description))]))
        break reading
      }
    }
    try? stream.writeAll(response.serialized())
  }

  func respond(to request: HTTPRequest) -> HTTPResponse {
    switch ControlRouter.route(request) {
    case .status, .peers:
      let s = node.statusBlocking()
      return .json(status: 200, s.json(host: facts()))
    case .metrics:
      return HTTPResponse(
        status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")],
        body: Array(node.statusBlocking().prometheus().utf8))
    case .connect(let text), .forget(let text):
      guard let text, let endpoint = Endpoint(text) else {
        return .json(
          status: 400, .object([("error", .string("expected endpoint=HOST[:PORT], an IP address"))]))
      }
      if case .connect = ControlRouter.route(request) {
        node.connect(endpoint)
        return .json(status: 202, .object([("connecting", .string(endpoint.description))]))
      }
      let found = node.forgetBlocking(endpoint)
      return .json(
        status: found ? 200 : 404,
        .object([("forgot", .string(endpoint.description)), ("found", .bool(found))]))
    case .notFound:
      return .json(status: 404, .object([("error", .string("no such resource"))]))
    case .methodNotAllowed(let allow):
      return .json(status: 405, .object([("error", .string("method not allowed; use \(allow)"))]))
    }
  }
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}
