import Testing

@testable import MeshCore
@testable import MeshLogic

/// Frames between two hosts that can only meet through a third: end to end through the
/// middle host, which passes them on unopened; or, with end-to-end sessions off, relayed hop
/// by hop, the middle host sealing each frame again where it was received. Either way the
/// middle host sends the batch together.
@Suite("Runtime: relayed frames")
struct RuntimeRelayTests {
  /// A (1) and C (3) each reach only M (2); A's frames for C's MAC go A → M → C.
  static func line(endToEnd: Bool = true) throws -> (
    RuntimeMesh, a: RuntimeHost, m: RuntimeHost, c: RuntimeHost
  ) {
    var mesh = RuntimeMesh()
    let m = try RuntimeHost(2, underlay: mesh.underlay, clock: mesh.clock)
    let a = try RuntimeHost(
      1, underlay: mesh.underlay, clock: mesh.clock, peers: [m.endpoint],
      engine: { $0.startsEndToEndSessions = endToEnd })
    let c = try RuntimeHost(3, underlay: mesh.underlay, clock: mesh.clock, peers: [m.endpoint])
    mesh.underlay.severed = [(a.endpoint, c.endpoint)]
    mesh.hosts = [a, m, c]
    mesh.run(seconds: 5)
    // C's bridge speaks once (a broadcast, flooded through M), so A learns where its MAC is.
    c.tap.inject(TestFrame.make(from: TestFrame.mac(3), to: TestFrame.broadcast, tag: 0))
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.broadcast, tag: 0))
    mesh.settle()
    // A's first frame for C goes relayed and starts the end-to-end handshake (when on).
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(3), tag: 0))
    mesh.settle()
    return (mesh, a, m, c)
  }

  /// Sends 20 frames from A to C and checks they arrived once each, in order, and left M in
  /// batches; returns how many M forwarded unopened meanwhile.
  static func sendTwenty(
    _ mesh: RuntimeMesh, a: RuntimeHost, m: RuntimeHost, c: RuntimeHost
  ) -> UInt64 {
    let frames = (1...20).map {
      TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(3), tag: UInt8($0), length: 300)
    }
    let forwarded = m.loop.engine.forwardedDatagrams
    for f in frames { a.tap.inject(f) }
    let (written, singles, batches) = (
      c.tap.writtenFrames.count, m.socket.singles, m.socket.batches
    )
    mesh.settle(rounds: 3)

    let arrived = Array(c.tap.writtenFrames.dropFirst(written)).filter {
      $0[6..<12] == TestFrame.mac(1)[...]
    }
    #expect(arrived == frames, "each frame once, in the order A read them")
    #expect(m.socket.singles == singles, "M sent no relayed frame on its own")
    let relayed = Array(m.socket.batches.dropFirst(batches.count))
    #expect(relayed.reduce(0, +) == frames.count, "M's batches carried every frame: \(relayed)")
    #expect(relayed.count < frames.count, "in fewer sends than frames: \(relayed)")
    #expect(m.loop.engine.drops.total == 0, "M dropped nothing")
    return m.loop.engine.forwardedDatagrams - forwarded
  }

  @Test("frames go end to end through the middle host, which passes them on unopened")
  func endToEndFramesArriveOnceInOrder() throws {
    let (mesh, a, m, c) = try Self.line()
    #expect(!a.isUp(with: c), "A and C have no session: they cannot reach each other")
    #expect(a.loop.engine.nextHop(to: c.id) == m.id, "A's route to C goes through M")
    let route = a.loop.engine.status(now: mesh.clock.now()).routes.first { $0.destination == c.id }
    #expect(route?.isEndToEnd == true, "A's route to C is end to end: \(String(describing: route))")
    #expect(Self.sendTwenty(mesh, a: a, m: m, c: c) == 20, "M opened none of them")
  }

  @Test("with end-to-end sessions off, relayed frames are sealed again in place, in order")
  func relayedFramesArriveOnceInOrder() throws {
    let (mesh, a, m, c) = try Self.line(endToEnd: false)
    let route = a.loop.engine.status(now: mesh.clock.now()).routes.first { $0.destination == c.id }
    #expect(route?.isEndToEnd == false)
    #expect(Self.sendTwenty(mesh, a: a, m: m, c: c) == 0, "M relayed them hop by hop")
  }

  @Test("a relayed broadcast still reaches both ends once (floods are copies, not in place)")
  func relayedBroadcastOnce() throws {
    let (mesh, a, _, c) = try Self.line()
    let frame = TestFrame.make(from: TestFrame.mac(1), to: TestFrame.broadcast, tag: 77)
    let written = c.tap.writtenFrames.count
    a.tap.inject(frame)
    mesh.settle(rounds: 3)
    #expect(Array(c.tap.writtenFrames.dropFirst(written)) == [frame])
  }
}
