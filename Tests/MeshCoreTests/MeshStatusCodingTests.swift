import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshLogic
@testable import MeshTypes

/// `MeshStatus(json:)` and `HostFacts(json:)` read back what `json(host:)` writes.
@Suite struct MeshStatusCodingTests {
  func decode(_ bytes: [UInt8]) throws -> (MeshStatus, MeshStatus.HostFacts) {
    let json = try JSONValue.parse(bytes, maxInput: JSONParser.maxResponseInput)
    return (try MeshStatus(json: json), try MeshStatus.HostFacts(json: json))
  }

  @Test func roundTripsThroughTheDocument() throws {
    let (status, host) = try decode(StatusFixtures.document)
    #expect(status == StatusFixtures.status)
    #expect(host == StatusFixtures.host)
    // And the decoded value writes the same document again, byte for byte.
    #expect(status.json(host: host).serializedBytes() == StatusFixtures.document)
  }

  /// The end-to-end fields (a route's `end_to_end`, the host's `forwarded_datagrams`) survive
  /// the document; a document from before them reads as hop by hop and none forwarded.
  @Test func endToEndFieldsRoundTrip() throws {
    var status = StatusFixtures.status
    status.routes[1].isEndToEnd = true
    status.forwardedDatagrams = 7
    let bytes = status.json(host: StatusFixtures.host).serializedBytes()
    let (back, _) = try decode(bytes)
    #expect(back.routes[1].isEndToEnd)
    #expect(!back.routes[0].isEndToEnd)
    #expect(back.forwardedDatagrams == 7)
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.contains("\"end_to_end\":true"))
    #expect(text.contains("\"forwarded_datagrams\":7"))
    let older = text.replacingOccurrences(of: "\"forwarded_datagrams\":7,", with: "")
      .replacingOccurrences(of: "\"end_to_end\":true,", with: "")
      .replacingOccurrences(of: "\"end_to_end\":false,", with: "")
    #expect(!older.contains("end_to_end") && !older.contains("forwarded_datagrams"))
    let (old, _) = try decode(Array(older.utf8))
    #expect(old.routes.allSatisfy { !$0.isEndToEnd })
    #expect(old.forwardedDatagrams == 0)
  }

  @Test func roundTripsTheEngineStatusWithoutIPAM() throws {
    var status = StatusFixtures.status
    status.subnet = nil
    status.claims = []
    status.routes = []
    status.peers = []
    let (back, _) = try decode(status.json(host: StatusFixtures.host).serializedBytes())
    #expect(back == status)
    #expect(back.subnet == nil)
  }

  @Test func hostSubnetLandsInTheStatus() throws {
    var status = StatusFixtures.status
    status.subnet = nil
    var host = StatusFixtures.host
    host.subnet = IPv4Network("10.47.9.0/24")
    let (back, backHost) = try decode(status.json(host: host).serializedBytes())
    #expect(back.subnet == IPv4Network("10.47.9.0/24"))
    #expect(backHost.subnet == nil)
  }

  @Test func unknownMembersAndDropReasonsAreIgnored() throws {
    guard case .object(var o) = StatusFixtures.status.json(host: StatusFixtures.host) else {
      Issue.record("not an object")
      return
    }
    o["future_member"] = ["x": 1]
    guard case .object(var drops)? = o["drops"] else { return }
    drops["a_reason_from_the_future"] = 7
    o["drops"] = .object(drops)
    let (back, _) = try decode(JSONValue.object(o).serializedBytes())
    #expect(back == StatusFixtures.status)
  }

  @Test(arguments: [
    ("peer_id", JSONValue.string("not-an-id"), "peer_id"),
    ("mtu", JSONValue.string("1425"), "mtu"),
    ("peers", JSONValue.array([.object(["nickname": "x"])]), "peers[0].endpoint"),
    ("routes", JSONValue.array([1]), "routes[0]"),
    ("claims", JSONValue.null, "claims"),
    ("drops", JSONValue.object(["mac1": -1]), "drops.mac1"),
    ("subnet", JSONValue.string("10.47.1.0/99"), "subnet"),
  ])
  func malformedMemberIsNamed(_ key: String, _ value: JSONValue, _ path: String) throws {
    guard case .object(var o) = StatusFixtures.status.json(host: StatusFixtures.host) else {
      Issue.record("not an object")
      return
    }
    o[key] = value
    let json = JSONValue.object(o)
    let error = #expect(throws: StatusDecodingError.self) {
      _ = try MeshStatus(json: json)
      _ = try MeshStatus.HostFacts(json: json)
    }
    #expect(error?.path == path)
    #expect(error?.description == "meshd sent a status with a missing or malformed \"\(path)\"")
  }

  @Test func peerErrorsNameTheirPlaceInTheList() throws {
    guard case .object(var o) = StatusFixtures.status.json(host: StatusFixtures.host),
      case .array(var peers)? = o["peers"], case .object(var second) = peers[1]
    else {
      Issue.record("unexpected document shape")
      return
    }
    second["endpoint"] = "nowhere"
    peers[1] = .object(second)
    o["peers"] = .array(peers)
    #expect(throws: StatusDecodingError(path: "peers[1].endpoint")) {
      try MeshStatus(json: .object(o))
    }
    #expect(throws: StatusDecodingError(path: "")) { try MeshStatus(json: .array([])) }
  }

  @Test func dockerOptionsFromTheTypedStatus() throws {
    let (status, host) = try decode(StatusFixtures.document)
    let opts = try DockerOptions(status: status, host: host)
    #expect(opts.commandLine == "--bridge=br0 --fixed-cidr=10.47.1.0/24 --mtu=1425")
    var noIPAM = status
    noIPAM.subnet = nil
    #expect(throws: DockerOptionsError.noSubnet) {
      try DockerOptions(status: noIPAM, host: host)
    }
    var odd = status
    odd.subnet = IPv4Network("10.47.1.7/24")
    #expect(throws: DockerOptionsError.invalidField("subnet")) {
      try DockerOptions(status: odd, host: host)
    }
  }
}
