import Logging
import MeshAPI
import MeshIO
import MeshLogic
import MeshTypes
import Synchronization

/// The local control API: HTTP/1.1 with JSON on a Unix socket (mode 0660), served from its own
/// thread so that a slow client never stalls the data path. One request per connection.
///
/// One thread serves many clients at once from an epoll loop: each connection reads without
/// blocking and has its own deadline, so idle or trickling clients cannot delay another
/// client's `meshd status`. At most `maxConnections` are open; past that the oldest is closed.
public final class ControlServer: @unchecked Sendable {
  /// How long a client may take to send its whole request (not per read: a client that
  /// trickles one byte at a time is cut off as surely as an idle one).
  public static let requestTimeoutSeconds = 2
  /// The most connections served at once; a new one past this closes the oldest, so a flood
  /// of idle clients costs bounded memory and descriptors and never locks the operator out.
  public static let maxConnections = 64

  let listener: UnixSocketListener
  let node: MeshNode
  let facts: @Sendable () -> MeshStatus.HostFacts
  let logger: Logger
  var thread: OSThread?
  let stopFlag = StopFlag()
  /// The host firewall `meshd expose` and `meshd hide` switch; nil when meshd runs without
  /// one (those routes then answer 409). Set before `start`.
  public var firewall: HostFirewall?

  /// A client whose request is still arriving.
  struct Connection {
    let token: Int
    let stream: UnixStream
    let deadline: MeshInstant
    var parser = HTTPRequestParser()
  }

  /// Listens on `path` (replacing a stale socket there) with mode 0660 and, when given, group
  /// `group`. The socket is bound here, before the node starts, so a path that cannot be used
  /// is refused before anything else changes.
  public init(
    path: String, group: UInt32? = nil, node: MeshNode, logger: Logger,
    facts: @escaping @Sendable () -> MeshStatus.HostFacts
  ) throws {
    let listener = try UnixSocketListener(path: path, mode: 0o660, groupID: group)
    self.listener = listener
    self.node = node
    self.facts = facts
    self.logger = logger
  }

  deinit { stop() }

  /// Starts serving on a new thread.
  public func start() throws {
    let poller = try Poller(capacity: 64)
    try poller.add(fd: listener.fd, token: 0)
    thread = try OSThread.spawn(name: "meshd-control") { [self] in serve(poller) }
  }

  /// Stops serving and removes the socket file (also when serving never started).
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
    var ready = [ReadyEvent](repeating: ReadyEvent(), count: 64)
    let clock = SystemClock()
    while !stopFlag.isSet {
      let n = (try? poller.wait(timeoutMilliseconds: 100, into: &ready)) ?? 0
      for event in ready.prefix(n) where event.token != 0 {
        guard let i = open.firstIndex(where: { $0.token == event.token }) else { continue }
        if serveReadable(&open[i]) { close(open.remove(at: i), poller) }
      }
      if n > 0, ready.prefix(n).contains(where: { $0.token == 0 }) {
        // Accept what is waiting (bounded per round, so the open ones get their turn).
        var accepted = 0
        while accepted < 16, listener.waitForConnection(timeoutMilliseconds: 0),
          let stream = try? listener.accept()
        {
          accepted += 1
          guard (try? stream.setNonBlocking(true)) != nil,
            (try? poller.add(fd: stream.fd, token: nextToken)) != nil
          else {
            stream.close()
            continue
          }
          if open.count >= ControlServer.maxConnections {
            close(open.removeFirst(), poller)
          }
          let deadline = clock.now().adding(seconds: Double(ControlServer.requestTimeoutSeconds))
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
  /// the connection is done (answered, closed by the client, or failed).
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
    case .error(let e):
      logger.debug("control request refused: \(e.message)")
      response = e.response
    }
    // The answer is written blocking, but bounded: a client that does not read it holds the
    // server for at most the request timeout.
    let stream = connection.stream
    _ = try? stream.setNonBlocking(false)
    _ = try? stream.setSendTimeout(seconds: Double(ControlServer.requestTimeoutSeconds))
    try? stream.writeAll(response.serialize())
    return true
  }

  func respond(to request: HTTPRequest) -> HTTPResponse {
    let route: ControlRoute
    switch ControlRouter.route(request) {
    case .success(let r): route = r
    case .failure(let e): return e.response
    }
    switch route {
    case .status, .peers:
      return .json(node.statusBlocking().json(host: facts()))
    case .metrics:
      return .text(
        MetricsServer.page(node.statusBlocking(), facts: facts()),
        contentType: MetricsExposition.contentType)
    case .connect(let text):
      guard let host = HostPort(text) else { return badEndpoint(text) }
      let resolved: [Endpoint]
      do {
        resolved = try NameResolver.resolve(host)
      } catch {
        return .json(["error": .string("cannot connect to \(host): \(error)")], status: 400)
      }
      let reachable = resolved.filter { node.connectRefusal($0) == nil }
      guard !reachable.isEmpty else {
        let why = node.connectRefusal(resolved[0]) ?? "unreachable"
        return .json(["error": .string("cannot connect to \(host): \(why)")], status: 400)
      }
      node.connect(host, resolvedTo: reachable)
      return .json(
        [
          "connecting": .string(host.description),
          "endpoints": .array(reachable.map { .string($0.description) }),
        ], status: 202)
    case .release(let text):
      let peer = PeerID(text)!
      var key: OperatorKey?
      if !request.body.isEmpty {
        guard let body = try? JSONValue.parse(request.body),
          let text = body["operator_key"]?.stringValue, let parsed = try? OperatorKey(base64: text)
        else {
          return .json(
            ["error": .string("the body must be {\"operator_key\": BASE64} (an operator key)")],
            status: 400)
        }
        key = parsed
      }
      let outcome = node.releaseBlocking(peer, operatorKey: key)
      switch outcome {
      case .unknown:
        return .json(
          ["released": .string(peer.description), "found": .bool(false)], status: 404)
      case .untrustedOperator:
        return .json(
          [
            "error": .string(
              "this host does not trust that operator key: start it with --operator-key \(key!.publicKey)"
            )
          ], status: 403)
      case .local, .meshWide:
        return .json([
          "released": .string(peer.description), "found": .bool(true),
          "mesh_wide": .bool(outcome == .meshWide),
        ])
      }
    case .names(let nameRoute):
      return respondNames(nameRoute)
    case .exposure(let exposed):
      return respondExposure(exposed)
    case .forget(let text):
      guard let host = HostPort(text) else { return badEndpoint(text) }
      // A name that no longer resolves is still forgotten, with what it resolved to before.
      let resolved = (try? NameResolver.resolve(host)) ?? []
      let found = node.forgetBlocking(host, resolvedTo: resolved)
      return .json(
        ["forgot": .string(host.description), "found": .bool(found)],
        status: found ? 200 : 404)
    }
  }

  func badEndpoint(_ text: String) -> HTTPResponse {
    .json(
      ["error": .string("\(text) is not HOST[:PORT] with HOST a host name or an IP address")],
      status: 400)
  }
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}
