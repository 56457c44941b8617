import Testing

@testable import MeshCore
@testable import MeshIO
@testable import MeshLogic
@testable import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// The real `NodeLoop` on a fake TAP that starts failing the way a deleted TAP does: every
/// read fails (EBADFD) and the descriptor stays readable. Before, the loop read it again on
/// every wait and logged each failure: a busy loop writing megabytes of log a second.
@Suite("Runtime: a TAP that fails")
struct RuntimeTapFailureTests {
  /// Host 2 with a captured log, whose lost TAP is replaced by the tunnels `reopen` gives.
  static func pair(
    log: CapturedLog, reopen: ((Bool) throws -> (FakeTunnel, Int32?))?,
    attach: @escaping () throws -> Void = {}
  ) throws -> RuntimeMesh {
    var mesh = RuntimeMesh()
    let a = try RuntimeHost(1, underlay: mesh.underlay, clock: mesh.clock)
    let b = try RuntimeHost(
      2, underlay: mesh.underlay, clock: mesh.clock, peers: [a.endpoint], logger: log.logger
    ) { setup in
      setup.links = .init(tap: "meshtap0", tapIndex: 7, bridge: "br0", bridgeIndex: 3)
      setup.reopenTunnel = reopen
      setup.attachTunnel = attach
    }
    mesh.hosts = [a, b]
    mesh.run(seconds: 1)
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.broadcast, tag: 0))
    b.tap.inject(TestFrame.make(from: TestFrame.mac(2), to: TestFrame.broadcast, tag: 0))
    mesh.settle()
    return mesh
  }

  @Test("the failing TAP leaves the poller, is recreated, and frames cross it again")
  func recreated() throws {
    let log = CapturedLog()
    let replacement = try FakeTunnel()
    var joins: [Bool] = []
    let mesh = try Self.pair(log: log) { join in
      joins.append(join)
      return (replacement, 8)
    }
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let linesBefore = log.lines.value.count
    b.tap.startFailing(errno: EBADFD)
    for _ in 0..<1000 { b.loop.step(timeoutMilliseconds: 0) }
    #expect(b.tap.failedReads == 1, "read once, then out of the poller")
    #expect(b.tap.isClosed)
    #expect(joins == [true], "recreated once, joined to the bridge")
    #expect(b.loop.tap === replacement)
    #expect(log.matching("TAP meshtap0 lost").count == 1, "\(log.lines.value)")
    #expect(log.lines.value.count - linesBefore == 1, "\(log.lines.value)")

    let toA = TestFrame.make(from: TestFrame.mac(2), to: TestFrame.mac(1), tag: 5)
    replacement.inject(toA)
    mesh.settle()
    #expect(a.tap.writtenFrames.contains(toA), "frames read from the new TAP cross the mesh")
    let toB = TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: 6)
    a.tap.inject(toB)
    mesh.settle()
    #expect(replacement.writtenFrames.contains(toB), "frames for this host reach the new TAP")
    #expect(b.status().tapState == "up")
  }

  @Test("a TAP that cannot be recreated: one warning, one try a second, no busy loop")
  func cannotRecreate() throws {
    let log = CapturedLog()
    var tries = 0
    let replacement = try FakeTunnel()
    var refuse = true
    let mesh = try Self.pair(log: log) { _ in
      tries += 1
      if refuse { throw TapError.system(SystemError(call: "ioctl(TUNSETIFF)", errno: EBUSY)) }
      return (replacement, 8)
    }
    let b = mesh.hosts[1]
    let linesBefore = log.lines.value.count
    b.tap.startFailing(errno: EBADFD)
    mesh.run(seconds: 10)
    for _ in 0..<1000 { b.loop.step(timeoutMilliseconds: 0) }
    #expect(b.tap.failedReads == 1)
    #expect((9...12).contains(tries), "about one try a second: \(tries)")
    #expect(log.matching("cannot be recreated").count == 1, "\(log.lines.value)")
    #expect(log.lines.value.count - linesBefore <= 2, "\(log.lines.value)")
    #expect(b.status().tapState == "recreating")

    refuse = false
    mesh.run(seconds: 1.5)
    #expect(b.loop.tap === replacement)
    #expect(b.status().tapState == "up")
    #expect(log.matching("recreated it after").count == 1, "\(log.lines.value)")
  }

  @Test("TAP writes that keep failing: counted, logged once a minute with their count")
  func tapWritesFailing() throws {
    let log = CapturedLog()
    let mesh = try Self.pair(log: log, reopen: nil)
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    b.tap.refuse = { _ in EIO }
    for tag in 1...200 {
      a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8(tag)))
      mesh.settle(rounds: 2)
    }
    #expect(b.tap.refused >= 200)
    #expect(log.matching("TAP write failed").count == 1, "\(log.lines.value)")
    mesh.run(seconds: 61)
    let summary = log.matching("times in the last minute")
    #expect(summary.count == 1 && summary[0].contains("TAP write failed"), "\(summary)")
  }

  @Test("the bridge deleted and back: status says missing, then the TAP joins it again")
  func bridgeBack() throws {
    let log = CapturedLog()
    var attached = 0
    let mesh = try Self.pair(log: log, reopen: nil) { attached += 1 }
    let b = mesh.hosts[1]
    var gone = LinkInfo(index: 3, flags: 0)
    gone.name = "br0"
    b.loop.apply(b.loop.watch.handle(LinkEvent(.removed, gone), now: mesh.clock.now()))
    #expect(b.status().bridgeState == "missing")
    #expect(log.matching("bridge br0 deleted").count == 1)
    var back = LinkInfo(index: 11, flags: 0)
    back.name = "br0"
    b.loop.apply(b.loop.watch.handle(LinkEvent(.present, back), now: mesh.clock.now()))
    #expect(attached == 1)
    #expect(b.status().bridgeState == "attached")
    #expect(log.matching("bridge br0 is back").count == 1)
  }
}
