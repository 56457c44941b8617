import MeshAPI
import MeshCore
import Testing

/// The name routes of the control API, with their parameters checked before the daemon acts.
@Suite struct NameRouteTests {
  func route(_ method: HTTPMethod, _ target: String) -> Result<ControlRoute, ControlRouteError> {
    var p = HTTPRequestParser()
    guard
      case .complete(let req) = p.feed(Array("\(method.rawValue) \(target) HTTP/1.1\r\n\r\n".utf8))
    else { return .failure(.badRequest("unparsable test request")) }
    return ControlRouter.route(req)
  }

  @Test func routes() {
    #expect(route(.get, "/v1/dns") == .success(.names(.list)))
    #expect(
      route(.post, "/v1/dns/add?name=Web&address=10.47.1.2")
        == .success(.names(.add(name: "web", address: 0x0A2F_0102))))
    #expect(
      route(.post, "/v1/dns/remove?name=web")
        == .success(.names(.remove(name: "web", address: nil))))
    #expect(
      route(.post, "/v1/dns/remove?name=web&address=10.47.1.2")
        == .success(.names(.remove(name: "web", address: 0x0A2F_0102))))
  }

  @Test func badParametersAre400AndWrongMethods405() {
    for target in [
      "/v1/dns/add?address=10.47.1.2", "/v1/dns/add?name=web",
      "/v1/dns/add?name=my_app&address=1.2.3.4",
      "/v1/dns/add?name=web&address=1.2.3", "/v1/dns/remove", "/v1/dns/remove?name=web&address=x",
    ] {
      guard case .failure(let e) = route(.post, target) else {
        Issue.record("\(target) routed")
        continue
      }
      #expect(e.status == 400, "\(target)")
    }
    guard case .failure(let e) = route(.post, "/v1/dns") else {
      Issue.record("POST /v1/dns routed")
      return
    }
    #expect(e.status == 405)
  }
}
