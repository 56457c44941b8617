import Logging
import Synchronization

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// A `NodeLoop` on in-memory devices: what unit tests drive, one step at a time, with a fake
/// clock shared by every host of a test.
final class RuntimeHost {
  typealias Loop = NodeLoop<FakeTunnel, FakeSocketFactory, FakeClock>

  let endpoint: Endpoint
  let tap: FakeTunnel
  let socket: FakeSocket
  let mailbox: NodeMailbox
  let loop: Loop
  let clock: FakeClock
  /// The events the loop reported, in order.
  let events = Locked<[MeshEvent]>([])
  /// The known peers it reported last.
  let knownPeers = Locked<[Endpoint]?>(nil)

  static let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// Host `n` at 192.0.2.n:6786 on `underlay`.
  init(
    _ n: Int, underlay: FakeUnderlay, clock: FakeClock, virtioHeader: Bool = false,
    coalesceUDP: Bool = false, peers: [Endpoint] = [], secret: SymmetricKey = RuntimeHost.secret,
    logger: Logger? = nil,
    configure: (inout NodeLoopSetup<FakeTunnel, FakeSocketFactory, FakeClock>) -> Void = { _ in },
    engine configureEngine: (inout MeshEngineConfiguration) -> Void = { _ in }
  ) throws {
    endpoint = Endpoint("192.0.2.\(n):6786")!
    self.clock = clock
    var random = SeededRandom(seed: UInt64(n) * 7919)
    var config = MeshEngineConfiguration(
      privateKey: PrivateKey.generate(using: &random), nickname: "host\(n)",
      clusterSecrets: [secret])
    config.advertisedEndpoints = [endpoint]
    config.acceptsOffloadedFrames = virtioHeader
    configureEngine(&config)
    var engine = MeshEngine(configuration: config, clock: clock, random: random)
    for p in peers { engine.connect(p, now: clock.now()) }
    tap = try FakeTunnel(virtioHeader: virtioHeader)
    socket = try underlay.socket(at: endpoint)
    mailbox = try NodeMailbox()
    var setup = NodeLoopSetup(
      tunnel: tap, socket: socket, peerSockets: underlay.factory, clock: clock, mailbox: mailbox,
      logger: logger ?? Logger(label: "test.host\(n)"))
    var reports = NodeReports()
    let events = self.events
    let knownPeers = self.knownPeers
    reports.event = { e in events.update { $0.append(e) } }
    reports.knownPeersChanged = { e in knownPeers.update { $0 = e.map(\.endpoint) } }
    setup.reports = reports
    setup.coalesceUDP = coalesceUDP
    configure(&setup)
    loop = try Loop(engine: engine, setup: setup)
  }

  /// The engine's ID for this host.
  var id: PeerID { loop.engine.id }

  /// Whether the engine has a session up with `other`.
  func isUp(with other: RuntimeHost) -> Bool { loop.engine.upPeerEndpoints[other.id] != nil }

  /// What `status` says about `other`, asked through the mailbox like the CLI does.
  func status() -> MeshStatus {
    let answer = Locked<MeshStatus?>(nil)
    _ = mailbox.post(.status { s in answer.update { $0 = s } })
    loop.step(timeoutMilliseconds: 0)
    return answer.value!
  }
}

/// Several `RuntimeHost`s on one `FakeUnderlay` and one fake clock.
struct RuntimeMesh {
  let underlay = FakeUnderlay()
  let clock = FakeClock()
  var hosts: [RuntimeHost] = []

  /// Lets every loop take one step without waiting, `rounds` times (datagrams cross the
  /// underlay at once, so each round moves every message one hop).
  func settle(rounds: Int = 8) {
    for _ in 0..<rounds {
      for h in hosts { h.loop.step(timeoutMilliseconds: 0) }
    }
  }

  /// Moves time on by `seconds` in ticks of `step`, settling after each.
  func run(seconds: Double, step: Double = MeshEngine.tickInterval) {
    var elapsed = 0.0
    while elapsed < seconds {
      clock.advance(step)
      elapsed += step
      settle(rounds: 3)
    }
  }
}

extension RuntimeMesh {
  /// Two hosts, 2 connecting to 1, with sessions up and each knowing the other's MAC.
  static func pair(
    virtioHeader: Bool = false, coalesceUDP: Bool = false
  ) throws -> RuntimeMesh {
    var mesh = RuntimeMesh()
    let a = try RuntimeHost(
      1, underlay: mesh.underlay, clock: mesh.clock, virtioHeader: virtioHeader)
    let b = try RuntimeHost(
      2, underlay: mesh.underlay, clock: mesh.clock, virtioHeader: virtioHeader,
      coalesceUDP: coalesceUDP, peers: [a.endpoint])
    mesh.hosts = [a, b]
    mesh.run(seconds: 1)
    // Each side's bridge speaks once, so the other learns where its MAC is.
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.broadcast, tag: 0))
    b.tap.inject(TestFrame.make(from: TestFrame.mac(2), to: TestFrame.broadcast, tag: 0))
    mesh.settle()
    return mesh
  }
}
