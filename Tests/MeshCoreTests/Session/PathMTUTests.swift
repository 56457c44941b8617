import MeshCore
import Testing

@Suite("Path MTU measurement")
struct PathMTUTests {
  /// Runs the measurement against a path that carries datagrams up to `carries` bytes whole
  /// (and fragmented ones only when `fragments`), for `seconds`, answering every probe that
  /// fits at once. Returns the largest limit seen at any moment.
  @discardableResult
  static func run(
    _ m: inout PathMTU, carries: Int, fragments: Bool = false, from start: Double = 0,
    seconds: Double = 20
  ) -> Int {
    var worst = m.datagramLimit
    var t = start
    while t < start + seconds {
      let now = MeshInstant(nanoseconds: UInt64(t * 1e9) + 1)
      for probe in m.due(now: now) {
        let passes = probe.size == PathMTU.fragmentedSize ? fragments : probe.size <= carries
        if passes { m.answered(probe.id, now: now) }
      }
      if m.datagramLimit < PathMTU.fragmentedSize { worst = max(worst, m.datagramLimit) }
      t += 0.1
    }
    return worst
  }

  @Test func untilAnAnswerOnlyTheFloorGoesWhole() {
    let v4 = PathMTU(ipv6: false, underlayMTU: 1500)
    let v6 = PathMTU(ipv6: true, underlayMTU: 1500)
    #expect(v4.datagramLimit == 548 && v4.top == 1472 && v4.phase == .searching)
    #expect(v6.datagramLimit == 1232 && v6.top == 1452)
    #expect(PathMTU.off.datagramLimit == WireLimits.maxDatagram && PathMTU.off.phase == .off)
  }

  @Test func whenFragmentsCrossEverythingGoesWholeAfterOneAnswer() {
    var m = PathMTU(ipv6: false, underlayMTU: 1500)
    let now = MeshInstant(nanoseconds: 1)
    let probes = m.due(now: now)
    #expect(probes.map(\.size).prefix(2) == [WireLimits.maxDatagram, 1472])
    let big = probes.first { $0.size == WireLimits.maxDatagram }!
    let matched = m.answered(big.id, now: now)
    #expect(matched)
    #expect(m.phase == .settled && m.fragmentsPass)
    #expect(m.datagramLimit == WireLimits.maxDatagram && m.pathMTU(ipv6: false) == 1500)
    // Nothing more until the check, which asks for the fragmented size again.
    #expect(m.due(now: now.adding(seconds: 10)).isEmpty)
    let check = m.due(now: now.adding(seconds: PathMTU.reprobeInterval + 1))
    #expect(check.first?.size == WireLimits.maxDatagram)
  }

  @Test func aSmallerLinkIsFoundAndNeverOvershot() {
    // 1500 here, 1400 there: datagrams up to 1372 bytes arrive whole, fragments never.
    var m = PathMTU(ipv6: false, underlayMTU: 1500)
    let worst = Self.run(&m, carries: 1372)
    #expect(m.phase == .settled && !m.fragmentsPass)
    #expect(worst <= 1372)
    #expect(m.datagramLimit > 1372 - PathMTU.granularity && m.datagramLimit <= 1372)
    #expect(m.pathMTU(ipv6: false)! <= 1400 && m.pathMTU(ipv6: false)! > 1384)
  }

  @Test func anIPv6PathOf1280KeepsTheFloor() {
    var m = PathMTU(ipv6: true, underlayMTU: 1500)
    let worst = Self.run(&m, carries: 1232)
    #expect(m.phase == .settled && worst == 1232 && m.datagramLimit == 1232)
    #expect(m.pathMTU(ipv6: true) == 1280)
  }

  @Test func aPathThatShrinksIsTreatedAsABlackHole() {
    var m = PathMTU(ipv6: false, underlayMTU: 1500)
    Self.run(&m, carries: 1372, seconds: 10)
    #expect(m.datagramLimit > 1356)
    // The link shrinks; the check after the re-probe interval misses the confirmed size.
    let worst = Self.run(
      &m, carries: 1172, from: 10, seconds: PathMTU.reprobeInterval + 10)
    #expect(m.phase == .settled)
    #expect(m.datagramLimit <= 1172 && m.datagramLimit > 1172 - PathMTU.granularity)
    _ = worst
  }

  @Test func aPathThatGrowsIsFollowedAtTheCheck() {
    var m = PathMTU(ipv6: false, underlayMTU: 1500)
    Self.run(&m, carries: 1372, seconds: 10)
    Self.run(
      &m, carries: 1472, fragments: true, from: 10, seconds: PathMTU.reprobeInterval + 10)
    #expect(m.fragmentsPass && m.datagramLimit == WireLimits.maxDatagram)
  }

  @Test func answersToNoProbeInFlightAreIgnored() {
    var m = PathMTU(ipv6: false, underlayMTU: 1500)
    let now = MeshInstant(nanoseconds: 1)
    var results: [Bool] = []
    results.append(m.answered(0x10, now: now))  // no round yet
    let probes = m.due(now: now)
    results.append(m.answered(probes[0].id &+ 0x100, now: now))  // another round's number
    results.append(m.answered(probes[0].id | 0xF, now: now))  // no such probe in the round
    #expect(results == [false, false, false])
    #expect(m.datagramLimit == 548)
    let small = probes.last!
    results = [m.answered(small.id, now: now), m.answered(small.id, now: now)]
    #expect(results == [true, false])  // the second time is no answer
    #expect(m.datagramLimit == small.size)
  }
}
