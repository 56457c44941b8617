import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// Two live hosts with one static key (a cloned VM, a copied state directory), as a third host
/// sees them: detected, reported, and held off so that the first keeps working.
@Suite("Two hosts with one key")
struct DuplicateKeyTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let macA = MACAddress(0x02, 0, 0, 0, 0, 0x0A)
  let macB = MACAddress(0x02, 0, 0, 0, 0, 0x0B)

  /// Host 1 (the observer) with host 2 up, then host 3 started with host 2's key.
  func clonedNetwork() -> (net: Network, a: Endpoint, b: Endpoint, clone: Endpoint) {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(5)
    let clone = net.add(3, secret: secret, key: net.hosts[b]!.configuration.privateKey)
    net.hosts[clone]!.connect(a, now: net.clock.now())
    return (net, a, b, clone)
  }

  func endpointChanges(_ net: Network, _ host: Endpoint, _ id: PeerID) -> Int {
    net.outputs[host]!.events.filter {
      if case .endpointChanged(id, _) = $0 { true } else { false }
    }.count
  }

  func duplicateReports(_ net: Network, _ host: Endpoint) -> [MeshEvent] {
    net.outputs[host]!.events.filter {
      if case .duplicateKey = $0 { true } else { false }
    }
  }

  @Test func theCloneIsDetectedReportedAndHeldOff() throws {
    var (net, a, b, clone) = clonedNetwork()
    let key = net.hosts[b]!.id
    #expect(net.hosts[clone]!.id == key)
    net.advance(60)

    let row = try #require(net.status(a).peers.first { $0.id == key })
    #expect(row.endpoint == b, "the host that held the key first keeps it")
    #expect(row.duplicateKeyEndpoint == clone)
    #expect(row.state == "established")
    #expect(row.drops[.duplicateKey] >= 1)
    #expect(net.status(a).drops[.duplicateKey] >= 1)
    let reports = duplicateReports(net, a)
    #expect(reports.first == .duplicateKey(key, kept: b, refused: clone, count: 1))
    #expect(reports.allSatisfy { $0.isWarning })
    // One move to the clone, one back: no flapping.
    #expect(endpointChanges(net, a, key) <= 2, "\(net.outputs[a]!.events)")

    // The first host still exchanges frames with the observer; the clone gets none of them.
    let cloneDelivered = net.outputs[clone]!.delivered.count
    net.sendFrame(from: b, ethernetFrame(dst: macA, src: macB))
    #expect(net.outputs[a]!.delivered.last == ethernetFrame(dst: macA, src: macB))
    net.sendFrame(from: a, ethernetFrame(dst: macB, src: macA))
    #expect(net.outputs[b]!.delivered.last == ethernetFrame(dst: macB, src: macA))
    #expect(net.outputs[clone]!.delivered.count == cloneDelivered)
  }

  @Test func theHoldLastsWhileTheCloneLivesAndReportsAreRateLimited() throws {
    var (net, a, b, clone) = clonedNetwork()
    let key = net.hosts[b]!.id
    net.advance(600)
    #expect(net.status(a).peers.first { $0.id == key }?.endpoint == b)
    #expect(net.status(a).peers.first { $0.id == key }?.duplicateKeyEndpoint == clone)
    #expect(endpointChanges(net, a, key) <= 2)
    let reports = duplicateReports(net, a)
    #expect(reports.count >= 2, "the clone keeps trying and is reported again")
    #expect(reports.count <= 1 + Int(600 / MeshEngine.duplicateKeyReportInterval) + 1)
    #expect(net.established(a, b))
  }

  @Test func theHoldEndsOnceTheCloneIsGone() throws {
    var (net, a, b, clone) = clonedNetwork()
    let key = net.hosts[b]!.id
    net.advance(30)
    #expect(net.status(a).peers.first { $0.id == key }?.duplicateKeyEndpoint == clone)
    net.cut.insert(clone)
    net.advance(net.hosts[a]!.configuration.duplicateKeyHold + 30)
    let row = try #require(net.status(a).peers.first { $0.id == key })
    #expect(row.duplicateKeyEndpoint == nil)
    #expect(row.endpoint == b)
    #expect(net.established(a, b))
  }

  @Test func aHostThatMovesWithItsKeyIsFollowedNotHeldOff() throws {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(5)
    let key = net.hosts[b]!.id
    // The host goes away and comes back at another address with the same key.
    net.cut.insert(b)
    let moved = net.add(3, secret: secret, key: net.hosts[b]!.configuration.privateKey)
    net.hosts[moved]!.connect(a, now: net.clock.now())
    net.advance(60)
    let row = try #require(net.status(a).peers.first { $0.id == key })
    #expect(row.endpoint == moved)
    #expect(row.duplicateKeyEndpoint == nil)
    #expect(duplicateReports(net, a).isEmpty)
    #expect(net.established(a, moved))
  }

  @Test func statusShowsTheDuplicateInJSONAndText() throws {
    var (net, a, _, clone) = clonedNetwork()
    net.advance(30)
    let status = net.status(a)
    let host = MeshStatus.HostFacts(
      listen: "0.0.0.0:6786", bridge: "br0", tap: "meshtap0", mtu: 1420, subnet: nil)
    let bytes = status.json(host: host).serializedBytes()
    #expect(String(decoding: bytes, as: UTF8.self).contains("\"duplicate_key\""))
    let back = try MeshStatus(
      json: JSONValue.parse(bytes, maxInput: JSONParser.maxResponseInput))
    #expect(back == status)
    #expect(back.peers.contains { $0.duplicateKeyEndpoint == clone })
    let text = MeshStatusText.render(back, host: host)
    #expect(text.contains("duplicate key: another host at \(clone)"))
  }
}
