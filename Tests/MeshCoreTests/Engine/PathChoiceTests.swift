import MeshCore
import Testing

@testable import MeshAPI
@testable import MeshLogic
@testable import MeshProtocol

/// Path choice between a peer's endpoints: a candidate is compared with the current path's
/// answer to the same probe round, never raced against it, and a current path that stops
/// answering gives way.
@Suite("Engine: path choice")
struct PathChoiceTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  static let v6A = Endpoint("[2001:db8::1]:6786")!
  static let v6B = Endpoint("[2001:db8::2]:6786")!

  /// Two dual-stack hosts: each is reached at its IPv6 address too, datagrams to an IPv6
  /// address leave from the sender's IPv6 address, and each announces only its IPv4 one.
  func dualStack() -> (Network, a: Endpoint, b: Endpoint) {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.aliases[Self.v6A] = a
    net.aliases[Self.v6B] = b
    net.source = { host, to in
      guard case .v6 = to.address else { return nil }
      return host == a ? Self.v6A : Self.v6B
    }
    return (net, a, b)
  }

  func endpoint(_ net: Network, at host: Endpoint, of other: Endpoint) -> Endpoint? {
    let id = net.hosts[other]!.id
    return net.status(host).peers.first { $0.id == id && $0.state == "established" }?.endpoint
  }

  /// B dials A over IPv6; A probes B's announced IPv4 address too, whose answer comes first
  /// (the current path's probe leaves last) and no faster: A stays on IPv6, round after round.
  @Test func anEquallyFastCandidateDoesNotWinTheRaceWithTheCurrentPath() {
    var (net, a, b) = dualStack()
    net.hosts[b]!.connect(Self.v6A, now: net.clock.now())
    net.advance(1)
    #expect(endpoint(net, at: a, of: b) == Self.v6B)
    net.advance(EndpointCandidate.firstProbeDelay + 2)
    let idB = net.hosts[b]!.id
    let probed = net.hosts[a]!.peers[idB]!.candidates.map(\.endpoint)
    #expect(Set(probed) == [b, Self.v6B], "both paths were probed")
    #expect(endpoint(net, at: a, of: b) == Self.v6B)
    net.advance(2 * EndpointCandidate.probeInterval + 20, step: 0.5)
    #expect(endpoint(net, at: a, of: b) == Self.v6B)
    #expect(endpoint(net, at: b, of: a) == Self.v6A)
  }

  /// Just before a probe round, A's datagrams to B's IPv6 address start to vanish (B's still
  /// arrive): the IPv6 probe goes unanswered, and after `answerWait` A moves to B's IPv4
  /// address, which answered; not before.
  @Test func aCurrentPathThatStopsAnsweringGivesWay() throws {
    var (net, a, b) = dualStack()
    net.hosts[b]!.connect(Self.v6A, now: net.clock.now())
    net.advance(EndpointCandidate.firstProbeDelay + 2)
    #expect(endpoint(net, at: a, of: b) == Self.v6B)
    let idB = net.hosts[b]!.id
    let round = try #require(net.hosts[a]!.peers[idB]!.nextProbeRound)
    net.advance(round.seconds(since: net.clock.now()) - 0.05, step: 0.05)
    net.aliases[Self.v6B] = nil
    net.advance(0.1 + EndpointCandidate.answerWait / 2, step: 0.05)
    #expect(endpoint(net, at: a, of: b) == Self.v6B, "the answer may still come")
    net.advance(EndpointCandidate.answerWait, step: 0.05)
    #expect(endpoint(net, at: a, of: b) == b)
    #expect(net.hosts[a]!.peers[idB]!.chosenEndpoint == b)
  }
}
