import MeshCore
import Testing

@testable import MeshLogic

/// Hole punching that misses: the common member tells both ends where to meet, a round that
/// brings no session is retried after a backoff (seconds, not the full interval), a member
/// announcing a new endpoint is punched to at once, a pair that never meets settles to one
/// round per `punchInterval`, and the state stays bounded.
@Suite("Engine: hole punching retries")
struct PunchRetryTests {
  let nat = NATTraversalTests()

  /// Two NATed hosts and a public one, the NATed pair up with the public host; with
  /// `blocked`, nothing passes directly between the pair (a symmetric NAT, as far as the
  /// pair can tell).
  func natPair(blocked: Bool) -> (Network, p: Endpoint, a: Endpoint, b: Endpoint) {
    var (net, p, nated) = nat.natNetwork(nated: [2, 3])
    let (a, b) = (nated[0], nated[1])
    if blocked { net.blocked = [[a, b]] }
    for n in nated { net.hosts[n]!.connect(p, now: net.clock.now()) }
    return (net, p, a, b)
  }

  /// When each round of `host` towards `member` began, watched for `seconds`.
  func rounds(
    _ net: inout Network, _ host: Endpoint, towards member: PeerID, for seconds: Double
  ) -> [MeshInstant] {
    var starts: [MeshInstant] = []
    var left = seconds
    while left > 0 {
      net.advance(0.1)
      left -= 0.1
      if let s = net.hosts[host]!.punches[member]?.started, starts.last != s { starts.append(s) }
    }
    return starts
  }

  func unansweredEvents(_ net: Network, _ host: Endpoint) -> [MeshEvent] {
    net.outputs[host]!.events.filter {
      if case .punchUnanswered = $0 { true } else { false }
    }
  }

  /// The case that cost 30 s in CI: B's record travels before B learns its NAT's mapping (a
  /// host learns it from its first neighbour a moment after the session is up), and B's own
  /// round towards A comes late. A's first round then opens A's NAT only towards B's private
  /// address; were B to dial A at once, B's datagram would reach A's NAT first, which then
  /// remaps A's later datagrams towards B. The public host tells both ends where it sees the
  /// other, and each opens its NAT before it dials.
  @Test func aMemberWhoseRecordLacksItsMappingIsMetInTheFirstRound() {
    var (net, p, nated) = nat.natNetwork(nated: [2, 3])
    let (a, b) = (nated[0], nated[1])
    net.hosts[a]!.connect(p, now: net.clock.now())
    net.advance(5)
    let (idA, idB, idP) = (net.hosts[a]!.id, net.hosts[b]!.id, net.hosts[p]!.id)
    var late = PunchState(now: net.clock.now(), jitterDraw: 0)
    late.answered(now: net.clock.now().adding(seconds: 600))
    late.tried = Set(net.hosts[p]!.gossiper.topology[idA]?.endpoints ?? [])
    #expect(late.tried.contains(NATTraversalTests.mapped(2)))
    net.hosts[b]!.punches[idA] = late
    net.hosts[b]!.connect(p, now: net.clock.now())
    var seconds = 0.0
    while seconds < 10, net.hosts[a]!.punches[idB]?.via != idP {
      net.advance(0.1)
      seconds += 0.1
      net.hosts[b]!.observedEndpoints = [:]
    }
    #expect(net.hosts[a]!.punches[idB]?.via == idP, "A punched towards B")
    let known = net.hosts[a]!.gossiper.topology[idB]?.endpoints ?? []
    #expect(!known.contains(NATTraversalTests.mapped(3)), "\(known)")
    while seconds < 30,
      !(net.established(a, NATTraversalTests.mapped(3))
        && net.established(b, NATTraversalTests.mapped(2)))
    {
      net.advance(0.1)
      seconds += 0.1
    }
    #expect(seconds < 5, "met after \(seconds) s")
    #expect(nat.peer(net, a, id: idB)?.endpoint == NATTraversalTests.mapped(3))
    #expect(nat.peer(net, b, id: idA)?.endpoint == NATTraversalTests.mapped(2))
    #expect(net.poisoned.isEmpty, "no NAT saw the other side first: \(net.poisoned)")
    #expect(unansweredEvents(net, a).isEmpty && unansweredEvents(net, b).isEmpty)
  }

  /// A host told where to meet a member opens its NAT towards it at once, but dials only
  /// `punchDialDelay` later: the member, told at the same moment by the same neighbour, may
  /// take a moment to open its own NAT, and a datagram arriving before would be remapped.
  @Test func aHostToldWhereToMeetOpensAtOnceAndDialsAMomentLater() {
    var (net, p, a, _) = natPair(blocked: false)
    net.advance(5)
    let idP = net.hosts[p]!.id
    let member = PeerID(rawValue: 0xABCD)
    let there = Endpoint("203.0.113.77:40077")!
    let now = net.clock.now()
    net.hosts[a]!.receivePunchRequest(
      about: member, endpoint: there, from: idP, now: now, out: &net.outputs[a]!)
    #expect(net.outputs[a]!.limited == [there], "the opener goes out at once")
    #expect(!net.outputs[a]!.sent.contains { $0.to == there }, "no dial yet")
    let before = net.wire.count
    net.advance(MeshEngine.punchDialDelay - 0.2)
    #expect(!net.wire[before...].contains { $0.from == a && $0.to == there })
    net.advance(0.4)
    let dials = net.wire[before...].filter { $0.from == a && $0.to == there && $0.bytes.first == 1 }
    #expect(dials.count == 1, "one initiation, a moment later")
    #expect(net.hosts[a]!.punches[member]?.targets == [there])
  }

  @Test func anUnansweredRoundIsRetriedAfterABackoffThatGrowsToTheInterval() {
    var (net, _, a, b) = natPair(blocked: true)
    net.advance(3)
    let idB = net.hosts[b]!.id
    let starts = rounds(&net, a, towards: idB, for: 200)
    let gaps = zip(starts, starts.dropFirst()).map { $1.seconds(since: $0) }
    // 2 s, 4 s, 8 s, 16 s (up to a quarter more, and the 1 s scan), then 30 s each.
    guard gaps.count >= 8 else {
      Issue.record("too few rounds: \(gaps)")
      return
    }
    #expect(gaps[0] >= 2 && gaps[0] <= 3.6, "\(gaps)")
    for (earlier, later) in zip(gaps.prefix(4), gaps.dropFirst().prefix(4)) {
      #expect(later > earlier, "\(gaps)")
    }
    #expect(gaps.allSatisfy { $0 >= PunchState.minimumGap && $0 <= MeshEngine.punchInterval + 1 })
    for gap in gaps.suffix(3) { #expect(abs(gap - MeshEngine.punchInterval) <= 1, "\(gaps)") }
    // Relayed throughout, and status says why.
    let route = net.status(a).routes.first { $0.destination == idB }
    #expect(route?.isDirect == false)
    #expect(route?.lastError?.contains("hole punching unanswered") == true)
    // Each unanswered round of the first few is reported, then only one in ten.
    let events = unansweredEvents(net, a)
    #expect(events.count >= 4 && events.count <= 6, "\(events.count) reports")
    guard case .punchUnanswered(let who, _, let via, let endpoints, let after, let next) = events[0]
    else { return }
    #expect(who == idB && via == "host1")
    #expect(endpoints.contains(NATTraversalTests.mapped(3)), "told by the public host")
    #expect(after >= 2 && after <= 4 && next >= 4 && next <= 5)
    #expect(events.last?.description.contains("punch towards host3") == true)
  }

  @Test func aNewEndpointInTheMembersRecordStartsARoundAtOnce() {
    var (net, p, a, b) = natPair(blocked: true)
    net.advance(3)
    let (idB, idP) = (net.hosts[b]!.id, net.hosts[p]!.id)
    _ = rounds(&net, a, towards: idB, for: 90)
    let settled = net.hosts[a]!.punches[idB]!
    #expect(settled.unanswered >= 4)
    // B learns of a new mapping (a peer sees it elsewhere) and announces it.
    let moved = Endpoint("203.0.113.33:40033")!
    net.hosts[b]!.receiveObserved(moved, from: idP)
    let starts = rounds(&net, a, towards: idB, for: 6)
    #expect(!starts.isEmpty, "a round began within 6 s of the change")
    #expect(net.hosts[a]!.punches[idB]!.tried.contains(moved))
    #expect(net.hosts[a]!.punches[idB]!.unanswered <= 1, "the backoff started afresh")
    // The same endpoints again change nothing: the interval stays.
    var state = net.hosts[a]!.punches[idB]!
    let changed = state.endpointsChanged(to: [moved], now: net.clock.now())
    #expect(!changed)
  }

  @Test func theBackoffIsCappedAndJittered() {
    let bound = HandshakeRetry.jitterDrawBound
    #expect(PunchState.delay(afterUnanswered: 0, jitterDraw: 0) == PunchState.firstRetry)
    #expect(PunchState.delay(afterUnanswered: 1, jitterDraw: 0) == 2 * PunchState.firstRetry)
    #expect(PunchState.delay(afterUnanswered: 3, jitterDraw: bound - 1) < 20)
    for n in [4, 5, 10, 64, Int.max] {
      #expect(
        PunchState.delay(afterUnanswered: n, jitterDraw: bound - 1) == MeshEngine.punchInterval)
    }
    // A round's answer resets the backoff.
    let t0 = MeshInstant(nanoseconds: 1_000_000_000)
    var s = PunchState(now: t0, jitterDraw: 0)
    for i in 1...6 {
      let ended = s.begin(
        now: t0.adding(seconds: Double(i)), via: PeerID(rawValue: 1), endpoints: [], jitterDraw: 0)
      #expect(ended?.count == i)
    }
    s.answered(now: t0.adding(seconds: 7))
    #expect(s.unanswered == 0 && s.isDue(t0.adding(seconds: 7)))
    #expect(
      s.begin(now: t0.adding(seconds: 8), via: PeerID(rawValue: 1), endpoints: [], jitterDraw: 0)
        == nil)
  }

  @Test func punchStateStaysBounded() {
    var (net, _, a, _) = natPair(blocked: false)
    net.advance(5)
    // Requests naming members this host never hears of again leave state behind; the scan
    // bounds it by `MeshLimits.maxPeers`.
    let t = net.clock.now()
    for i in 0..<(MeshLimits.maxPeers + 50) {
      net.hosts[a]!.punches[PeerID(rawValue: 0xF000_0000 + UInt64(i))] = PunchState(
        now: t, jitterDraw: 0)
    }
    net.advance(MeshEngine.punchInterval + 2)
    #expect(net.hosts[a]!.punches.count <= MeshLimits.maxPeers)
    // One member's endpoints are bounded too.
    var s = PunchState(now: t, jitterDraw: 0)
    for i in 0..<100 { s.note([Endpoint("198.51.100.\(i % 250):\(1000 + i)")!]) }
    #expect(s.targets.count <= PunchState.maxTried && s.tried.count <= PunchState.maxTried)
  }
}
