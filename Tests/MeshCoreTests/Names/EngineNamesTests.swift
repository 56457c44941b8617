import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// Names set on one engine reach every other engine's directory through the signed record,
/// go when they are removed, and go with a host that becomes unreachable or is released.
@Suite("Engine names")
struct EngineNamesTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// Three hosts with IPAM, connected through host 1, after their claims settled.
  func mesh() throws -> (Network, [Endpoint]) {
    var net = Network()
    let plan = try IPAMPlan(range: IPv4Network("10.47.0.0/16")!, subnetSize: 24)
    let hosts = (1...3).map { net.add($0, secret: secret, ipam: plan) }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    net.advance(30, step: 0.1)
    for h in hosts { #expect(net.hosts[h]!.localSubnet != nil) }
    return (net, hosts)
  }

  /// An entry at host `ep`'s subnet address `.offset`.
  func entry(
    _ net: Network, _ ep: Endpoint, _ name: String, _ kind: NameEntry.Kind = .container,
    offset: UInt32 = 5
  ) -> NameEntry {
    let subnet = net.hosts[ep]!.localSubnet!
    return NameEntry(
      name: name, kind: kind, address: subnet.networkAddress + offset, ports: [80],
      host: net.hosts[ep]!.id)
  }

  func names(_ net: Network, at ep: Endpoint) -> [String] {
    net.hosts[ep]!.meshNames().entries.map { "\($0.name)@\($0.host)" }.sorted()
  }

  @Test func namesSpreadAndGo() throws {
    var (net, hosts) = try mesh()
    let (a, b, c) = (hosts[0], hosts[1], hosts[2])
    let idB = net.hosts[b]!.id
    let web = entry(net, b, "web")
    let service = entry(net, b, "web", .service)
    let generation = net.hosts[c]!.namesGeneration
    net.hosts[b]!.setLocalNames([web, service])
    net.advance(2, step: 0.1)
    #expect(net.hosts[c]!.namesGeneration != generation)
    for h in [a, b, c] { #expect(names(net, at: h) == ["web@\(idB)", "web@\(idB)"]) }
    // A second instance of the service on host C: both are served.
    net.hosts[c]!.setLocalNames([entry(net, c, "web", .service)])
    net.advance(2, step: 0.1)
    #expect(net.hosts[a]!.meshNames().entries.filter { $0.kind == .service }.count == 2)
    // The container stops: its names go everywhere.
    net.hosts[b]!.setLocalNames([])
    net.advance(2, step: 0.1)
    for h in [a, b, c] {
      #expect(!net.hosts[h]!.meshNames().entries.contains { $0.host == idB })
    }
  }

  @Test func anUnreachableHostsNamesAreNotServed() throws {
    var (net, hosts) = try mesh()
    let (a, b) = (hosts[0], hosts[1])
    let idB = net.hosts[b]!.id
    net.hosts[b]!.setLocalNames([entry(net, b, "db")])
    net.advance(2, step: 0.1)
    #expect(names(net, at: a) == ["db@\(idB)"])
    // B falls off the network: once its sessions are down, nobody serves its names, though
    // its record is still held.
    net.cut = [b]
    net.advance(40, step: 0.1)
    #expect(net.hosts[a]!.gossiper.topology[idB] != nil)
    #expect(names(net, at: a).isEmpty)
    #expect(names(net, at: hosts[2]).isEmpty)
  }

  @Test func aReleasedHostsNamesAreNotServed() throws {
    var seeded = SeededRandom(seed: 3)
    let operatorKey = OperatorKey.generate(using: &seeded)
    var net = Network()
    let plan = try IPAMPlan(range: IPv4Network("10.47.0.0/16")!, subnetSize: 24)
    let hosts = (1...3).map {
      net.add($0, secret: secret, ipam: plan, operatorKeys: [operatorKey.publicKey])
    }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    net.advance(30, step: 0.1)
    let (a, b, c) = (hosts[0], hosts[1], hosts[2])
    let idB = net.hosts[b]!.id
    net.hosts[b]!.setLocalNames([entry(net, b, "db")])
    net.advance(2, step: 0.1)
    #expect(names(net, at: c) == ["db@\(idB)"])
    // B is gone for good: the operator releases it from A; the tombstone spreads.
    net.cut = [b]
    #expect(net.hosts[a]!.release(idB, now: net.clock.now(), operatorKey: operatorKey) == .meshWide)
    #expect(net.hosts[a]!.gossiper.topology[idB]?.departed == true)
    net.advance(30, step: 0.1)
    #expect(net.hosts[c]!.gossiper.topology[idB]?.departed == true)
    #expect(names(net, at: a).isEmpty)
    #expect(names(net, at: c).isEmpty)
  }

  @Test func namesOutsideThePublishersSubnetAreRefused() throws {
    var (net, hosts) = try mesh()
    let (a, b) = (hosts[0], hosts[1])
    // B (gone bad, or misconfigured) names an address in A's subnet.
    var hijack = entry(net, a, "web")
    hijack.host = net.hosts[b]!.id
    net.hosts[b]!.setLocalNames([hijack, entry(net, b, "own")])
    net.advance(2, step: 0.1)
    let served = net.hosts[a]!.meshNames()
    #expect(served.entries.map(\.name) == ["own"])
    #expect(served.refused == 1)
  }
}
