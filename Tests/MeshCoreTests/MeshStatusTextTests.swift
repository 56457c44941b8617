import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshLogic

/// `meshd status`'s text, rendered from the typed status: the same lines and columns the CLI
/// printed when it rendered the JSON document by string keys.
@Suite struct MeshStatusTextTests {
  static let expected = """
    meshd host-a (00000000000000a1)
      public key  q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=
      listening   192.0.2.1:6786   bridge br0   tap meshtap0   mtu 1425   macs 4
      subnet      10.47.1.0/24   members 3

    peers (2):
      host-b (00000000000000b2)  192.0.2.2:6786  established
        session age 12.2s  last handshake 3m ago  handshakes 2
        rx 1024 B / 8 frames  tx 2048 B / 16 frames
        dropped mac1=3 replay=1
      ? (-)  192.0.2.9:6786  connecting
        session age -  last handshake - ago  handshakes 0
        rx 0 B / 0 frames  tx 0 B / 0 frames
        dropped none

    subnet claims (2):
      10.47.1.0/24  host-a (00000000000000a1)
      10.47.2.0/24  host-b (00000000000000b2)

    routes (2):
      host-b (00000000000000b2)  direct
      host-c (00000000000000c3)  relayed via 00000000000000b2, 2 hops

    dropped in all: auth=2 mac1=5

    """

  @Test func rendersTheDecodedDocument() throws {
    let json = try JSONValue.parse(StatusFixtures.document, maxInput: JSONParser.maxResponseInput)
    let text = MeshStatusText.render(
      try MeshStatus(json: json), host: try MeshStatus.HostFacts(json: json))
    #expect(text == Self.expected)
  }

  /// A member that announced a nickname with terminal escapes cannot clear the screen, colour
  /// it or forge lines in another host's `meshd status`; the JSON form is escaped as JSON.
  @Test func hostileNicknamesAreEscapedInEveryPlaceTheyShow() throws {
    let hostile = "x\u{1B}[2J\u{1B}[31mRED\nforged line\r"
    var status = StatusFixtures.status
    for i in status.peers.indices { status.peers[i].nickname = hostile }
    for i in status.routes.indices { status.routes[i].nickname = hostile }
    status.claims = status.claims.map { (peer: $0.peer, nickname: hostile, subnet: $0.subnet) }
    let text = MeshStatusText.render(status, host: StatusFixtures.host)
    #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" })
    #expect(!text.contains("\nforged line"))
    #expect(text.contains("x\\e[2J\\e[31mRED\\nforged line\\r"))
    let json = status.json(host: StatusFixtures.host).serializedBytes()
    #expect(!json.contains(0x1B))
    let decoded = try MeshStatus(
      json: JSONValue.parse(json, maxInput: JSONParser.maxResponseInput))
    #expect(decoded.peers.first?.nickname == hostile)
  }

  /// A relayed member reached in a session of its own says so on its route line, and a host
  /// that passed datagrams on for others says how many, after the routes.
  @Test func endToEndRoutesAndForwardedDatagrams() {
    var status = StatusFixtures.status
    #expect(!MeshStatusText.render(status, host: StatusFixtures.host).contains("end to end"))
    #expect(!MeshStatusText.render(status, host: StatusFixtures.host).contains("forwarded"))
    status.routes[1].isEndToEnd = true
    status.forwardedDatagrams = 42
    let text = MeshStatusText.render(status, host: StatusFixtures.host)
    #expect(
      text.contains(
        "  host-c (00000000000000c3)  relayed via 00000000000000b2, 2 hops, end to end\n"))
    #expect(
      text.contains(
        "\n\nforwarded unopened for other members: 42 datagrams\n\ndropped in all: auth=2 mac1=5\n")
    )
  }

  @Test func aHostWithoutPeersClaimsOrIPAM() {
    var status = StatusFixtures.status
    status.peers = []
    status.claims = []
    status.routes = []
    status.subnet = nil
    status.drops = DropCounters()
    let text = MeshStatusText.render(status, host: StatusFixtures.host)
    #expect(text.contains("  subnet      -   members 3\n"))
    #expect(text.contains("\npeers (0):\n\nroutes (0):\n"))
    #expect(!text.contains("subnet claims"))
    #expect(text.hasSuffix("\ndropped in all: none\n"))
  }

  @Test func aPendingClaimIsNotNoIPAM() {
    var status = StatusFixtures.status
    status.subnet = nil
    var host = StatusFixtures.host
    host.ipamRange = IPv4Network("10.47.0.0/16")
    let text = MeshStatusText.render(status, host: host)
    #expect(text.contains("  subnet      claim pending (10.47.0.0/16)   members 3\n"))
  }

  /// Each value against what C's printf prints for it (`%.1f`, or `%.0f` of minutes).
  @Test(arguments: [
    (0.0, "0.0s"), (0.04, "0.0s"), (0.05, "0.1s"), (0.25, "0.2s"), (0.35, "0.3s"),
    (0.45, "0.5s"), (1.0, "1.0s"), (9.95, "9.9s"), (12.25, "12.2s"), (119.94, "119.9s"),
    (119.96, "120.0s"), (120.0, "2m"), (150.0, "2m"), (210.0, "4m"), (270.0, "4m"),
    (330.0, "6m"), (89_999.0, "1500m"), (1e-300, "0.0s"),
  ])
  func durationsRoundAsPrintfDoes(_ seconds: Double, _ text: String) {
    #expect(MeshStatusText.seconds(seconds) == text)
  }

  @Test func unknownDurationIsADash() {
    #expect(MeshStatusText.seconds(nil) == "-")
    #expect(MeshStatusText.fixed(-0.04, fractionDigits: 1) == "-0.0")
    #expect(MeshStatusText.fixed(2.5, fractionDigits: 0) == "2")
    #expect(MeshStatusText.fixed(3.5, fractionDigits: 0) == "4")
  }
}
