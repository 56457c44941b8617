import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshLogic
@testable import MeshTypes

/// The diagnostic members of the status document round-trip through JSON, and the text form
/// shows them: time in state, attempts, last error, departed members, IPAM usage.
@Suite("Status diagnostics")
struct StatusDiagnosticsTests {
  static var status: MeshStatus {
    var s = StatusFixtures.status
    s.peers[0].state = "down"
    s.peers[0].sessionAge = nil
    s.peers[0].stateFor = 42
    s.peers[0].attempts = 4
    s.peers[0].lastError = "no answer for 15 s"
    s.peers[0].roundTrip = 0.002
    s.peers[1].attempts = 3
    s.peers[1].stateFor = 9
    s.peers[1].lastError = "3 handshake attempts unanswered"
    s.departed = [MeshStatus.Member(id: PeerID(rawValue: 0xd4), nickname: "gone")]
    s.ipam = MeshStatus.IPAMUsage(
      range: IPv4Network("10.47.0.0/16")!, subnetSize: 24, total: 256, used: 2)
    return s
  }

  @Test func roundTripsThroughTheDocument() throws {
    let document = StatusDiagnosticsTests.status.json(host: StatusFixtures.host)
    let decoded = try MeshStatus(json: document)
    #expect(decoded == StatusDiagnosticsTests.status)
    #expect(document["ipam"]?["free"]?.intValue == 254)
    #expect(document["peers"] != nil)
  }

  @Test func anOlderDaemonsDocumentStillDecodes() throws {
    var document = StatusDiagnosticsTests.status.json(host: StatusFixtures.host)
    guard case .object(var o) = document else { Issue.record("not an object"); return }
    o["departed"] = nil
    o["ipam"] = nil
    document = .object(o)
    let decoded = try MeshStatus(json: document)
    #expect(decoded.departed.isEmpty && decoded.ipam == nil)
  }

  @Test func textShowsStateTimeAttemptsErrorsDepartedAndIPAM() {
    let text = MeshStatusText.render(StatusDiagnosticsTests.status, host: StatusFixtures.host)
    #expect(text.contains("down for 42.0s, 4 attempt(s)\n"))
    #expect(text.contains("    last error: no answer for 15 s\n"))
    #expect(text.contains("connecting for 9.0s, 3 attempt(s)\n"))
    #expect(text.contains("ipam        10.47.0.0/16 in /24: 2 used, 254 free\n"))
    #expect(text.contains("members 3   departed 1\n"))
    #expect(text.contains("departed (1):\n  gone (\(PeerID(rawValue: 0xd4)))  departed\n"))
    #expect(text.contains("relayed via"))
  }

  @Test func exposeAndHideRoutes() {
    var p = HTTPRequestParser()
    guard case .complete(let expose) = p.feed(Array("POST /v1/expose HTTP/1.1\r\n\r\n".utf8))
    else { Issue.record("unparsed"); return }
    #expect(ControlRouter.route(expose) == .success(.exposure(true)))
    var q = HTTPRequestParser()
    guard case .complete(let hide) = q.feed(Array("POST /v1/hide HTTP/1.1\r\n\r\n".utf8)) else {
      Issue.record("unparsed")
      return
    }
    #expect(ControlRouter.route(hide) == .success(.exposure(false)))
    var r = HTTPRequestParser()
    guard case .complete(let get) = r.feed(Array("GET /v1/expose HTTP/1.1\r\n\r\n".utf8)) else {
      Issue.record("unparsed")
      return
    }
    #expect(ControlRouter.route(get) == .failure(.methodNotAllowed(allowed: [.post])))
  }
}
