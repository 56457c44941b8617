import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol

/// The engine's diagnostics: refused handshakes of another cluster secret are reported, rate
/// limited, naming the source; a peer that goes down is named with the reason and shows as
/// down (not handshaking) in status, with attempts, time in state and the last error.
@Suite("Diagnostics (engine)")
struct DiagnosticsEngineTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  func refusals(_ events: [MeshEvent]) -> [(Endpoint, HandshakeRefusal, UInt64)] {
    events.compactMap {
      if case .handshakeRefused(let source, let reason, let count) = $0 {
        return (source, reason, count)
      }
      return nil
    }
  }

  @Test func anotherSecretIsReportedOncePerMinuteNamingTheSource() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let c = net.add(3, secret: try! SymmetricKey(bytes: Array(repeating: 9, count: 32)))
    net.hosts[c]!.connect(a, now: net.clock.now())
    net.advance(30)
    let first = refusals(net.outputs[a]!.events)
    #expect(first.count == 1)
    #expect(first.first?.0 == c)
    #expect(first.first?.1 == .mac1)
    #expect(first.first?.2 == 1)
    #expect(MeshEvent.handshakeRefused(c, reason: .mac1, count: 1).isWarning)
    #expect(
      MeshEvent.handshakeRefused(c, reason: .mac1, count: 1).description.contains(
        "different cluster secret"))
    // Later reports come at most once a minute, each counting what was refused meanwhile.
    net.advance(150)
    let all = refusals(net.outputs[a]!.events)
    #expect(all.count >= 2 && all.count <= 3)
    #expect(Int(all.map(\.2).reduce(0, +)) <= Int(net.status(a).drops[.mac1]))
  }

  @Test func peerDownNamesTheHostAndTheReasonAndStatusSaysDown() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(2)
    #expect(net.established(a, b))
    let up = net.status(a).peers.first { $0.nickname == "host2" }
    #expect(up?.state == "established")
    #expect(up?.stateFor != nil && up?.attempts == 0)
    net.cut = [b]
    net.advance(20)
    let down = net.outputs[a]!.events.compactMap { e -> (String, String)? in
      if case .peerDown(_, let nick, let reason) = e { return (nick, reason) }
      return nil
    }
    #expect(down.count == 1)
    #expect(down.first?.0 == "host2")
    #expect(down.first?.1.contains("no answer") == true)
    let row = net.status(a).peers.first { $0.nickname == "host2" }
    #expect(row?.state == "down")
    #expect(row?.sessionAge == nil)
    #expect(row?.lastError?.contains("no answer") == true)
    #expect((row?.attempts ?? 0) >= 1)
    #expect((row?.stateFor ?? -1) >= 0 && (row?.stateFor ?? 99) < 20)
  }

  @Test func aLaterReportCountsWhatWasRefusedMeanwhile() {
    var r = HandshakeRefusals()
    let source = Endpoint("198.51.100.7:6786")!
    let start = MeshInstant(nanoseconds: 1_000_000_000)
    #expect(r.note(.mac1, from: source, now: start)?.count == 1)
    for i in 1...5 {
      #expect(r.note(.mac1, from: source, now: start.adding(seconds: Double(i))) == nil)
    }
    let later = r.note(.presharedKey, from: source, now: start.adding(seconds: 61))
    #expect(later?.count == 6)
    #expect(later?.reason == .presharedKey)
  }

  @Test func refusalsAreBoundedAcrossManySources() {
    var r = HandshakeRefusals()
    let now = MeshInstant(nanoseconds: 1_000_000_000)
    var reports = 0
    for i in 0..<1000 {
      let source = Endpoint("198.51.100.\(i % 250):\(1000 + i)")!
      if r.note(.mac1, from: source, now: now) != nil { reports += 1 }
    }
    #expect(reports == HandshakeRefusals.maxReportsPerInterval)
    #expect(r.sources.count <= HandshakeRefusals.maxSources)
    // The next interval reports again; sources quiet for an interval are forgotten.
    let later = now.adding(seconds: HandshakeRefusals.reportInterval)
    #expect(r.note(.presharedKey, from: Endpoint("203.0.113.1:1")!, now: later) != nil)
    r.expire(now: later.adding(seconds: HandshakeRefusals.reportInterval))
    #expect(r.sources.count < HandshakeRefusals.maxSources)
    #expect(r.sources.values.allSatisfy { $0.unreported > 0 })
  }
}

/// Status lists a host released for good as departed (not a member), and gives the IPAM
/// range's used and free subnets.
@Suite("Diagnostics (engine): departed members and IPAM usage")
struct DepartedAndIPAMStatusTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let plan = try! IPAMPlan(range: IPv4Network("10.47.0.0/22")!, subnetSize: 24)
  let operatorKey = try! OperatorKey(seed: [UInt8](repeating: 0x0E, count: 32))

  @Test func aReleasedHostIsDepartedAndItsSubnetFree() throws {
    var net = Network()
    let hosts = (1...3).map {
      net.add($0, secret: secret, ipam: plan, operatorKeys: [operatorKey.publicKey])
    }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    net.advance(15, step: 0.1)
    let before = net.status(hosts[0])
    #expect(before.members == 3 && before.departed.isEmpty)
    #expect(
      before.ipam == MeshStatus.IPAMUsage(range: plan.range, subnetSize: 24, total: 4, used: 3))
    #expect(before.ipam?.free == 1)

    let gone = net.status(hosts[2])
    net.hosts[hosts[2]] = nil
    let tombstone = try #require(
      net.hosts[hosts[0]]!.operatorTombstone(for: gone.id, signedBy: operatorKey))
    let released = net.hosts[hosts[0]]!.release(gone.id, now: net.clock.now(), tombstone: tombstone)
    #expect(released)
    net.advance(30, step: 0.1)
    for h in hosts.prefix(2) {
      let after = net.status(h)
      #expect(after.members == 2, "\(h)")
      #expect(after.departed == [MeshStatus.Member(id: gone.id, nickname: "host3")], "\(h)")
      #expect(after.ipam?.used == 2 && after.ipam?.free == 2, "\(h)")
    }
  }
}
