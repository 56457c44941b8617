import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshLogic

/// The path MTU per peer in `meshd status`: `path_mtu` in JSON, a `path MTU` line in text,
/// both absent for a peer that was not measured.
@Suite struct MeshStatusPathMTUTests {
  @Test func aMeasuredPathShowsInJSONAndText() throws {
    var status = StatusFixtures.status
    status.peers[0].pathMTU = 1398
    let bytes = status.json(host: StatusFixtures.host).serializedBytes()
    #expect(String(decoding: bytes, as: UTF8.self).contains(#""path_mtu":1398"#))
    let back = try MeshStatus(
      json: JSONValue.parse(bytes, maxInput: JSONParser.maxResponseInput))
    #expect(back == status)
    let text = MeshStatusText.render(back, host: StatusFixtures.host)
    #expect(text.contains("\n    dropped mac1=3 replay=1\n    path MTU 1398\n"))
    #expect(text.components(separatedBy: "path MTU").count == 2)  // the unmeasured peer has none
  }

  @Test func anUnmeasuredPathIsAbsent() throws {
    let bytes = StatusFixtures.status.json(host: StatusFixtures.host).serializedBytes()
    #expect(!String(decoding: bytes, as: UTF8.self).contains("path_mtu"))
    let back = try MeshStatus(
      json: JSONValue.parse(bytes, maxInput: JSONParser.maxResponseInput))
    #expect(back.peers.allSatisfy { $0.pathMTU == nil })
  }
}
