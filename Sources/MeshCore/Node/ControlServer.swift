import Logging
import MeshAPI
import MeshIO
import MeshLogic
import MeshTypes
import Synchronization

/// The local control API: HTTP/1.1 with JSON on a Unix socket (mode 0660), served from its own
/// thread so that a slow client never stalls the data path. One request per connection.
public final class ControlServer: @unchecked Sendable {
  /// How long a client may take to send its whole request (not per read: a client that
  /// trickles one byte at a time must not hold the single-threaded server for longer).
  public static let requestTimeoutSeconds = 2

  let listener: UnixSocketListener
  let node: MeshNode
  let facts: @Sendable () -> MeshStatus.HostFacts
  let logger: Logger
  var thread: OSThread?
  let stopFlag = StopFlag()

  /// Listens on `path` (replacing a stale socket there) with mode 0660 and, when given, group
  /// `group`.
  public init(
    path: String, group: UInt32? = nil, node: MeshNode, logger: Logger,
    facts: @escaping @Sendable () -> MeshStatus.HostFacts
  ) throws {
    self.listener = try UnixSocketListener(path: path, mode: 0o660, groupID: group)
    self.node = node
    self.facts = facts
    self.logger = logger
  }

  deinit { stop() }

  /// Starts serving on a new thread.
  public func start() throws {
    thread = try OSThread.spawn { [self] in serve() }
  }

  /// Stops serving and removes the socket file.
  public func stop() {
    guard let t = thread else { return }
    thread = nil
    stopFlag.set()
    t.join()
    listener.close()
  }

  func serve() {
    while !stopFlag.isSet {
      guard listener.waitForConnection(timeoutMilliseconds: 200) else { continue }
      guard let stream = try? listener.accept() else { continue }
      handle(stream)
    }
  }

  func handle(_ stream: UnixStream) {
    defer { stream.close() }
    let deadline = SystemClock().now().adding(seconds: Double(ControlServer.requestTimeoutSeconds))
    var parser = HTTPRequestParser()
    var response: HTTPResponse
    reading: while true {
      let left = Double(deadline.nanoseconds &- SystemClock().now().nanoseconds) / 1e9
      guard deadline > SystemClock().now(),
        (try? stream.setReceiveTimeout(seconds: max(left, 0.001))) != nil,
        let chunk = try? stream.read(max: 4096), !chunk.isEmpty
      else { return }
      switch parser.feed(chunk) {
      case .needMore: continue
      case .complete(let request):
        response = respond(to: request)
        break reading
      case .error(let e):
        logger.debug("control request refused: \(e.message)")
        response = e.response
        break reading
      }
    }
    try? stream.writeAll(response.serialize())
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
      return .text(node.statusBlocking().prometheus(), contentType: "text/plain; version=0.0.4")
    case .connect(let text):
      guard let endpoint = Endpoint(text) else { return badEndpoint(text) }
      node.connect(endpoint)
      return .json(["connecting": .string(endpoint.description)], status: 202)
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
    case .forget(let text):
      guard let endpoint = Endpoint(text) else { return badEndpoint(text) }
      let found = node.forgetBlocking(endpoint)
      return .json(
        ["forgot": .string(endpoint.description), "found": .bool(found)],
        status: found ? 200 : 404)
    }
  }

  func badEndpoint(_ text: String) -> HTTPResponse {
    .json(["error": .string("\(text) is not HOST[:PORT] with HOST an IP address")], status: 400)
  }
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}
