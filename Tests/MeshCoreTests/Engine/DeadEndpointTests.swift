import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// An endpoint an operator asked for that never answers (a typo in `meshd connect`) stops
/// being saved to known peers after `deadEndpointAge` and `deadEndpointAttempts`.
@Suite("Dead endpoints expire from known peers")
struct DeadEndpointTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let typo = Endpoint("192.0.2.99:6786")!

  func network(age: Double, attempts: Int) -> (Network, Endpoint) {
    var net = Network()
    let a = net.add(1, secret: secret) {
      $0.deadEndpointAge = age
      $0.deadEndpointAttempts = attempts
    }
    return (net, a)
  }

  func attemptsTowards(_ net: Network, _ host: Endpoint, _ endpoint: Endpoint) -> Int {
    net.outputs[host]!.events.filter { $0 == .handshakeStarted(endpoint) }.count
  }

  @Test func anUnansweredEndpointIsDroppedFromKnownPeersButStillDialled() {
    var (net, a) = network(age: 20, attempts: 3)
    net.hosts[a]!.connect(typo, now: net.clock.now())
    #expect(net.hosts[a]!.knownEndpoints == [typo])
    net.advance(10)
    #expect(net.hosts[a]!.knownEndpoints == [typo], "too young to expire")
    let version = net.hosts[a]!.endpointsVersion
    net.advance(60)
    #expect(net.hosts[a]!.knownEndpoints.isEmpty)
    #expect(net.hosts[a]!.endpointsVersion > version, "the node saves the change")
    #expect(net.outputs[a]!.events.filter { $0 == .endpointExpired(typo) }.count == 1)
    #expect(attemptsTowards(net, a, typo) >= 3)
    // Still dialled until the process ends.
    let before = attemptsTowards(net, a, typo)
    net.advance(600)
    #expect(attemptsTowards(net, a, typo) > before)
    #expect(net.status(a).peers.contains { $0.endpoint == typo && $0.state == "connecting" })
  }

  @Test func bothTheAgeAndTheAttemptsMustBeReached() {
    var (net, a) = network(age: 5, attempts: 10_000)
    net.hosts[a]!.connect(typo, now: net.clock.now())
    net.advance(300)
    #expect(net.hosts[a]!.knownEndpoints == [typo])
  }

  @Test func askingAgainSavesItAgain() {
    var (net, a) = network(age: 5, attempts: 2)
    net.hosts[a]!.connect(typo, now: net.clock.now())
    net.advance(120)
    #expect(net.hosts[a]!.knownEndpoints.isEmpty)
    net.hosts[a]!.connect(typo, now: net.clock.now())
    #expect(net.hosts[a]!.knownEndpoints == [typo])
  }

  @Test func anEndpointThatAnswersIsKept() {
    var (net, a) = network(age: 5, attempts: 2)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(300)
    #expect(net.hosts[a]!.knownEndpoints == [b])
    #expect(net.established(a, b))
  }

  @Test func theAgeAndAttemptsAreSavedAndCountAcrossARestart() {
    var (net, a) = network(age: 100, attempts: 5)
    net.hosts[a]!.connect(typo, now: net.clock.now())
    net.advance(60)
    // The known-peers file gets the endpoint with when it was first dialled and the attempts.
    let saved = net.hosts[a]!.knownPeers
    #expect(saved.map(\.endpoint) == [typo])
    let unanswered = try! #require(saved.first?.unanswered)
    #expect(unanswered.attempts >= 3)
    let wallNow = net.clock.wallNanoseconds() / 1_000_000_000
    #expect(unanswered.since <= wallNow - 59 && unanswered.since >= wallNow - 61)

    // A restarted host (a fresh engine) reads it back: the endpoint keeps its age and tries,
    // so it expires 40 s and a couple of attempts later, not after another 100 s.
    var (later, b) = network(age: 100, attempts: 5)
    later.clock.advance(60)
    later.hosts[b]!.connect(saved[0], now: later.clock.now())
    #expect(later.hosts[b]!.knownPeers.first?.unanswered?.since == unanswered.since)
    later.advance(30)
    #expect(later.hosts[b]!.knownEndpoints == [typo], "too young still")
    later.advance(60)
    #expect(later.hosts[b]!.knownEndpoints.isEmpty)
    #expect(later.outputs[b]!.events.contains(.endpointExpired(typo)))
  }

  @Test func aRememberedEndpointFromTheFutureStartsAfresh() {
    var (net, a) = network(age: 100, attempts: 1)
    let future = net.clock.wallNanoseconds() / 1_000_000_000 + 1_000_000
    net.hosts[a]!.connect(
      KnownPeer(typo, unanswered: .init(since: future, attempts: 50)), now: net.clock.now())
    net.advance(50)
    #expect(net.hosts[a]!.knownEndpoints == [typo], "a bad clock in the file does not expire it")
  }

  @Test func aPeerThatAnsweredIsSavedWithoutAnAge() {
    var (net, a) = network(age: 5, attempts: 2)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(30)
    #expect(net.hosts[a]!.knownPeers == [KnownPeer(b)])
  }

  @Test func theDefaultsAreADayAndSeveralAttempts() {
    let config = MeshEngineConfiguration(
      privateKey: PrivateKey.generate(), nickname: "x", clusterSecrets: [secret])
    #expect(config.deadEndpointAge == 86_400)
    #expect(config.deadEndpointAttempts >= 3)
  }
}
