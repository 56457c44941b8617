import MeshCore
import Testing

@testable import MeshAPI
@testable import MeshLogic
@testable import MeshProtocol

/// Hosts behind NAT: observed endpoints (as STUN tells), hole punching through a common
/// member, path choice between a peer's endpoints, and what is saved as a known peer.
@Suite("Engine: NAT traversal and path choice")
struct NATTraversalTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// A public host P (host 1) and NATed hosts (2, 3, …): each NATed host announces only a
  /// private address, shows the mapped address `203.0.113.<n>:4000<n>` to everyone, and its
  /// NAT lets in only what answers a datagram it sent (port-restricted cone).
  func natNetwork(nated: [Int]) -> (Network, Endpoint, [Endpoint]) {
    var net = Network()
    let p = net.add(1, secret: secret)
    var hosts: [Endpoint] = []
    for n in nated {
      let mapped = NATTraversalTests.mapped(n)
      let host = net.add(n, secret: secret) {
        $0.advertisedEndpoints = [Endpoint("10.0.\(n).2:6786")!]
      }
      net.aliases[mapped] = host
      net.filtered.insert(host)
      hosts.append(host)
    }
    net.source = { host, _ in
      nated.contains(Int(host.description.split(separator: ".")[3].prefix { $0 != ":" })!)
        ? NATTraversalTests.mapped(
          Int(host.description.split(separator: ".")[3].prefix { $0 != ":" })!)
        : nil
    }
    return (net, p, hosts)
  }

  static func mapped(_ n: Int) -> Endpoint { Endpoint("203.0.113.\(n):4000\(n)")! }

  func peer(_ net: Network, _ host: Endpoint, id: PeerID) -> MeshStatus.Peer? {
    net.status(host).peers.first { $0.id == id && $0.state == "established" }
  }

  @Test func aNATedHostLearnsItsMappedAddressAndAnnouncesIt() {
    var (net, p, nated) = natNetwork(nated: [2])
    let n = nated[0]
    net.hosts[n]!.connect(p, now: net.clock.now())
    net.advance(5)
    let idN = net.hosts[n]!.id
    #expect(peer(net, p, id: idN)?.endpoint == NATTraversalTests.mapped(2))
    #expect(net.hosts[n]!.observedEndpoints.values.contains(NATTraversalTests.mapped(2)))
    let record = net.hosts[p]!.gossiper.topology[idN]
    #expect(record?.endpoints.contains(NATTraversalTests.mapped(2)) == true)
    // The public host never dialled the mapping: it is not saved as a known peer there.
    #expect(!net.hosts[p]!.knownEndpoints.contains(NATTraversalTests.mapped(2)))
    #expect(net.hosts[n]!.knownEndpoints == [p])
  }

  @Test func twoNATedHostsWithACommonMemberMeetDirectly() {
    var (net, p, nated) = natNetwork(nated: [2, 3])
    for n in nated { net.hosts[n]!.connect(p, now: net.clock.now()) }
    var seconds = 0.0
    let (a, b) = (nated[0], nated[1])
    let (idA, idB) = (net.hosts[a]!.id, net.hosts[b]!.id)
    while seconds < 60, peer(net, a, id: idB) == nil || peer(net, b, id: idA) == nil {
      net.advance(1)
      seconds += 1
    }
    #expect(peer(net, a, id: idB)?.endpoint == NATTraversalTests.mapped(3))
    #expect(peer(net, b, id: idA)?.endpoint == NATTraversalTests.mapped(2))
    #expect(net.hosts[a]!.peers[idB]!.punched || net.hosts[b]!.peers[idA]!.punched)
    // And it stays direct with nothing but keepalives, without dialling anything.
    net.advance(120, step: 0.5)
    #expect(peer(net, a, id: idB) != nil && peer(net, b, id: idA) != nil)
    #expect(net.status(a).peers.allSatisfy { $0.state == "established" })
    #expect(net.status(p).peers.allSatisfy { $0.state == "established" })
  }

  @Test func twoHostsOnOneLANUseTheLANPath() {
    var net = Network()
    let lan = [1: Endpoint("10.1.0.1:6786")!, 2: Endpoint("10.1.0.2:6786")!]
    let a = net.add(1, secret: secret) { $0.advertisedEndpoints = [Network.endpoint(1), lan[1]!] }
    let b = net.add(2, secret: secret) { $0.advertisedEndpoints = [Network.endpoint(2), lan[2]!] }
    net.aliases[lan[1]!] = a
    net.aliases[lan[2]!] = b
    net.source = { host, to in
      guard to.isPrivate else { return nil }
      return host == a ? lan[1] : lan[2]
    }
    net.hosts[b]!.connect(a, now: net.clock.now())
    net.advance(13)
    let (idA, idB) = (net.hosts[a]!.id, net.hosts[b]!.id)
    #expect(peer(net, b, id: idA)?.endpoint == lan[1])
    #expect(peer(net, a, id: idB)?.endpoint == lan[2])
    // Probes are rare: over ten minutes, a handful per endpoint, no handshake loop.
    let before = net.wire.count
    net.advance(600, step: 0.5)
    let toPublic = net.wire[before...].filter { $0.from == b && $0.to == a }.count
    #expect(toPublic <= 30)
    let clones = net.outputs[a]!.events + net.outputs[b]!.events
    #expect(!clones.contains { if case .duplicateKey = $0 { true } else { false } })
    #expect(peer(net, b, id: idA)?.endpoint == lan[1])
  }

  @Test func dialingOneselfStopsWithOneEvent() {
    var net = Network()
    let a = net.add(1, secret: secret)
    net.hosts[a]!.connect(a, now: net.clock.now())
    net.advance(60)
    let selfEvents = net.outputs[a]!.events.filter {
      if case .dialledSelf(a) = $0 { true } else { false }
    }
    #expect(selfEvents.count == 1)
    #expect(net.hosts[a]!.dials.isEmpty)
    #expect(net.hosts[a]!.knownEndpoints.isEmpty)
    let initiations = net.wire.filter { $0.from == a && $0.bytes.first == 1 }.count
    #expect(initiations == 1)
    // Asked again, it is not dialled again.
    net.hosts[a]!.connect(a, now: net.clock.now())
    #expect(net.hosts[a]!.dials.isEmpty)
  }

  @Test func aNameIsResolvedAgainWhileItsPeerStaysUnreachable() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let host = HostPort("b.example")!
    let old = Endpoint("192.0.2.99:6786")!
    net.hosts[a]!.connect(host, resolvedTo: [old], now: net.clock.now())
    net.advance(29)
    #expect(!net.outputs[a]!.events.contains(.resolveName(host)))
    net.advance(2)
    #expect(net.outputs[a]!.events.contains(.resolveName(host)))
    net.hosts[a]!.resolved(host, to: [b], now: net.clock.now())
    net.advance(3)
    #expect(net.established(a, b))
    #expect(net.hosts[a]!.dials[old] == nil, "the old address is no longer dialled")
    // Reachable now: no more resolutions.
    net.outputs[a]!.events.removeAll()
    net.advance(90)
    #expect(!net.outputs[a]!.events.contains(.resolveName(host)))
    let forgot = net.hosts[a]!.forget(host, resolvedTo: [])
    #expect(forgot)
    #expect(net.status(a).peers.isEmpty)
  }

  @Test func hostPortParsesNamesAndAddresses() {
    #expect(HostPort("node1.example.com")?.host == "node1.example.com")
    #expect(HostPort("node1.example.com")?.port == Endpoint.defaultPort)
    #expect(HostPort("localhost:7000")?.port == 7000)
    #expect(HostPort("localhost:7000")?.isName == true)
    #expect(HostPort("192.0.2.1:7000")?.literal == Endpoint("192.0.2.1:7000"))
    #expect(HostPort("[2001:db8::1]:7000")?.literal == Endpoint("[2001:db8::1]:7000"))
    #expect(HostPort("2001:db8::1")?.literal != nil)
    for bad in ["", "a..b", "-a.b", "a b", "host:0", "host:99999", "1.2.3", "999.1.1.1", "é.x"] {
      #expect(HostPort(bad) == nil, "\(bad)")
    }
  }

  @Test func observedEndpointsRoundTripAndRefuseGarbage() throws {
    for e in [Endpoint("198.51.100.7:40000")!, Endpoint("[2001:db8::7]:6786")!] {
      var buffer = [UInt8](repeating: 0, count: 32)
      let n = try buffer.withUnsafeMutableBytes {
        try InnerMessage.writeObservedEndpoint(e, into: $0)
      }
      #expect(try InnerMessage.parse(Array(buffer[0..<n])) == .observedEndpoint(e))
      #expect(throws: WireError.self) { try InnerMessage.parse(Array(buffer[0..<(n - 1)])) }
      #expect(throws: WireError.self) { try InnerMessage.parse(Array(buffer[0..<n]) + [0]) }
    }
    #expect(throws: WireError.self) { try InnerMessage.parse([10, 5, 1, 2, 3, 4, 0, 0]) }
    let probe = EndpointProbe(probeID: 0xDEAD_BEEF, isReply: true)
    var buffer = [UInt8](repeating: 0, count: 8)
    let n = try buffer.withUnsafeMutableBytes {
      try InnerMessage.writeEndpointProbe(probe, into: $0)
    }
    #expect(try InnerMessage.parse(Array(buffer[0..<n])) == .endpointProbe(probe))
    #expect(throws: WireError.self) { try InnerMessage.parse([11, 1, 2, 3, 4, 2]) }
  }

  @Test func statusSaysHowEachMemberIsReachedAndWhyNotDirect() throws {
    var net = Network()
    let p = net.add(1, secret: secret)
    let a = net.add(2, secret: secret)
    let b = net.add(3, secret: secret)
    net.blocked = [[a, b]]
    net.hosts[a]!.connect(p, now: net.clock.now())
    net.hosts[b]!.connect(p, now: net.clock.now())
    net.advance(40)
    let status = net.status(a)
    let idB = net.hosts[b]!.id
    let toB = try #require(status.routes.first { $0.destination == idB })
    #expect(!toB.isDirect)
    #expect(toB.viaNickname == "host1")
    #expect(toB.lastError?.contains("hole punching unanswered") == true)
    #expect((toB.inStateFor ?? 0) > 30)
    let toP = try #require(status.routes.first { $0.destination == net.hosts[p]!.id })
    #expect(toP.isDirect && toP.endpoint == p)
    // The document carries it, and the text says it.
    let host = MeshStatus.HostFacts(listen: "x", bridge: "br0", tap: "t", mtu: 1)
    let json = status.json(host: host)
    let back = try MeshStatus(json: try JSONValue.parse(json.serializedBytes()))
    #expect(back.routes == status.routes)
    let text = MeshStatusText.render(status, host: host)
    #expect(text.contains("relayed via host1"))
    #expect(text.contains("why: hole punching unanswered"))
  }
}
