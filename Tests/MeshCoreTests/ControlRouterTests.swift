import MeshAPI
import MeshCore
import MeshIO
import Testing

@Suite struct ControlRouterTests {
  func route(_ method: HTTPMethod, _ target: String, body: String = "") -> Result<
    ControlRoute, ControlRouteError
  > {
    var p = HTTPRequestParser()
    let text =
      "\(method.rawValue) \(target) HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    guard case .complete(let req) = p.feed(Array(text.utf8)) else {
      return .failure(.badRequest("unparsable test request"))
    }
    return ControlRouter.route(req)
  }

  @Test func simpleRoutes() {
    #expect(route(.get, "/v1/status") == .success(.status))
    #expect(route(.get, "/v1/peers") == .success(.peers))
    #expect(route(.get, "/metrics") == .success(.metrics))
  }

  @Test func connectAndForget() {
    #expect(
      route(.post, "/v1/connect?endpoint=192.0.2.1:6786")
        == .success(.connect(endpoint: "192.0.2.1:6786")))
    #expect(
      route(.post, "/v1/forget", body: #"{"endpoint":"host.example"}"#)
        == .success(.forget(endpoint: "host.example")))
    #expect(
      route(.post, "/v1/connect?endpoint=a:1", body: #"{"endpoint":"a:1"}"#)
        == .success(.connect(endpoint: "a:1")))
    #expect(route(.post, "/v1/connect?endpoint=a:1", body: #"{"endpoint":"b:1"}"#).status == 400)
    #expect(route(.post, "/v1/connect").status == 400)
    #expect(route(.post, "/v1/connect", body: "[1]").status == 400)
    #expect(route(.post, "/v1/connect", body: #"{"endpoint":5}"#).status == 400)
    #expect(route(.post, "/v1/connect", body: "{").status == 400)
    #expect(route(.post, "/v1/connect?endpoint=a%20b").status == 400)
    #expect(route(.post, "/v1/connect?endpoint=").status == 400)
    let long = String(repeating: "a", count: ControlRouter.maxEndpointLength + 1)
    #expect(route(.post, "/v1/connect?endpoint=\(long)").status == 400)
  }

  @Test func notFoundAndMethodNotAllowed() throws {
    #expect(route(.get, "/v1/nope") == .failure(.notFound))
    #expect(route(.get, "/v1/status/") == .failure(.notFound))
    #expect(route(.get, "/") == .failure(.notFound))
    #expect(route(.post, "/v1/status") == .failure(.methodNotAllowed(allowed: [.get])))
    #expect(route(.get, "/v1/connect") == .failure(.methodNotAllowed(allowed: [.post])))
    let response = ControlRouteError.methodNotAllowed(allowed: [.get]).response
    #expect(response.status == 405)
    #expect(response.headers["allow"] == "GET")
    #expect(ControlRouteError.notFound.response.status == 404)
  }
}

extension Result where Failure == ControlRouteError {
  /// The error status, or 200 for a match.
  var status: Int {
    switch self {
    case .success: return 200
    case .failure(let e): return e.status
    }
  }
}
