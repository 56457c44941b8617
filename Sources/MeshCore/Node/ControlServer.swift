import Logging
import MeshAPI
import MeshIO
import MeshLogic
import MeshTypes

/// The local control API: HTTP/1.1 with JSON on a Unix socket (mode 0660), served from its own
/// thread so that a slow client never stalls the data path. One request per connection; many
/// clients at once, each with a deadline (see `RequestServer`).
public final class ControlServer: @unchecked Sendable {
  /// How long a client may take to send its whole request (not per read: a client that
  /// trickles one byte at a time is cut off as surely as an idle one).
  public static let requestTimeoutSeconds = 2
  /// The most connections served at once; a new one past this closes the oldest, so a flood
  /// of idle clients costs bounded memory and descriptors and never locks the operator out.
  public static let maxConnections = 64

  let server: RequestServer<UnixSocketListener>
  let node: MeshNode
  let facts: @Sendable () -> MeshStatus.HostFacts
  let logger: Logger
  /// The host firewall `meshd expose` and `meshd hide` switch; nil when meshd runs without
  /// one (those routes then answer 409). Set before `start`.
  public var firewall: HostFirewall?

  /// Listens on `path` (replacing a stale socket there) with mode 0660 and, when given, group
  /// `group`. The socket is bound here, before the node starts, so a path that cannot be used
  /// is refused before anything else changes.
  public init(
    path: String, group: UInt32? = nil, node: MeshNode, logger: Logger,
    facts: @escaping @Sendable () -> MeshStatus.HostFacts
  ) throws {
    let listener = try UnixSocketListener(path: path, mode: 0o660, groupID: group)
    server = RequestServer(
      listener: listener, name: "meshd-control", maxConnections: ControlServer.maxConnections,
      requestTimeoutSeconds: Double(ControlServer.requestTimeoutSeconds))
    self.node = node
    self.facts = facts
    self.logger = logger
  }

  /// Starts serving on a new thread.
  public func start() throws {
    let logger = self.logger
    try server.start(respond: { [self] in respond(to: $0) }) {
      logger.debug("control request refused: \($0.message)")
    }
  }

  /// Stops serving and removes the socket file (also when serving never started).
  public func stop() { server.stop() }

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
