import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// An IPAM conflict moves the later claim only within the move window, before Docker could
/// have used the subnet; the move is a warning, and a later conflict keeps the subnet.
@Suite("IPAM conflict move window")
struct IPAMMoveWindowTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let plan = try! IPAMPlan(range: IPv4Network("10.47.0.0/16")!, subnetSize: 24)
  let contested = IPv4Network("10.47.9.0/24")!
  /// The harness clock's wall time at its start.
  let wall = FakeClock().wallNanoseconds()

  /// Three hosts joined through host 1; hosts 2 and 3 start with the given claims.
  func network(claim2: UInt64, claim3: UInt64) -> (Network, [Endpoint]) {
    var net = Network()
    let claims = [
      2: SubnetClaim(subnet: contested, claimedAt: claim2),
      3: SubnetClaim(subnet: contested, claimedAt: claim3),
    ]
    let hosts = (1...3).map { net.add($0, secret: secret, ipam: plan, claim: claims[$0]) }
    for h in hosts.dropFirst() { net.hosts[h]!.connect(hosts[0], now: net.clock.now()) }
    return (net, hosts)
  }

  func events(_ net: Network, _ host: Endpoint) -> [MeshEvent] { net.outputs[host]!.events }

  @Test func aFreshLaterClaimMovesWithAWarningToRestartDocker() throws {
    var (net, hosts) = network(claim2: wall - 2_000_000_000, claim3: wall)
    net.advance(15)
    #expect(net.status(hosts[1]).subnet == contested)
    let moved = try #require(net.status(hosts[2]).subnet)
    #expect(moved != contested)
    let warning = MeshEvent.subnetMoved(from: contested, to: moved)
    #expect(events(net, hosts[2]).contains(warning))
    #expect(warning.isWarning)
    #expect(warning.description.contains("docker-opts"))
    // The winner never moves.
    #expect(!events(net, hosts[1]).contains { if case .subnetMoved = $0 { true } else { false } })
  }

  @Test func anOldLaterClaimIsKeptAndTheConflictReported() throws {
    // Both claims are a day old: Docker may use either subnet.
    let day: UInt64 = 86_400 * 1_000_000_000
    var (net, hosts) = network(claim2: wall - day - 5, claim3: wall - day)
    net.advance(600)
    #expect(net.status(hosts[1]).subnet == contested)
    #expect(net.status(hosts[2]).subnet == contested, "kept: a running Docker may use it")
    let subnetEvents = events(net, hosts[2]).filter {
      switch $0 {
      case .subnetMoved, .subnetClaimed: true
      default: false
      }
    }
    #expect(subnetEvents.isEmpty)
    let conflicts = events(net, hosts[2]).filter {
      if case .subnetConflict = $0 { true } else { false }
    }
    let winner = net.hosts[hosts[1]]!.id
    #expect(conflicts.first == .subnetConflict(contested, winner: winner))
    #expect(conflicts.allSatisfy { $0.isWarning })
    // Rate-limited: once, then at most every `subnetConflictReportInterval`.
    #expect(conflicts.count >= 1)
    #expect(conflicts.count <= 1 + Int(600 / MeshEngine.subnetConflictReportInterval))
    // The older claim's host sees no conflict of its own.
    #expect(
      !events(net, hosts[1]).contains { if case .subnetConflict = $0 { true } else { false } })
  }

  @Test func theStateMachineKeepsAClaimPastTheWindow() {
    let ids = (1...2).map { _ in PrivateKey.generate().publicKey.peerID }
    let (older, later) = (ids[0], ids[1])
    var state = IPAMState(
      plan: plan, id: later, persisted: SubnetClaim(subnet: contested, claimedAt: 1_000))
    let claims = [older: SubnetClaim(subnet: contested, claimedAt: 500)]
    #expect(
      state.update(claims: claims, now: 1_000 + 100, moveWindow: 50)
        == .conflict(SubnetClaim(subnet: contested, claimedAt: 1_000), winner: older))
    #expect(state.subnet == contested)
    // Within the window the later claim moves.
    guard case .claim(let fresh) = state.update(claims: claims, now: 1_000 + 10, moveWindow: 50)
    else {
      Issue.record("expected a new claim")
      return
    }
    #expect(fresh.subnet != contested)
    #expect(fresh.claimedAt == 1_010)
  }
}
