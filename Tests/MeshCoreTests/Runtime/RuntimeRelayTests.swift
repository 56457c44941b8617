import Testing

@testable import MeshCore
@testable import MeshLogic

/// Frames between two hosts that can only meet through a third: the middle host seals each
/// relayed frame again where it was received and sends the batch together.
@Suite("Runtime: relayed frames")
struct RuntimeRelayTests {
  /// A (1) and C (3) each reach only M (2); A's frames for C's MAC go A → M → C.
  static func line() throws -> (RuntimeMesh, a: RuntimeHost, m: RuntimeHost, c: RuntimeHost) {
    var mesh = RuntimeMesh()
    let m = try RuntimeHost(2, underlay: mesh.underlay, clock: mesh.clock)
    let a = try RuntimeHost(1, underlay: mesh.underlay, clock: mesh.clock, peers: [m.endpoint])
    let c = try RuntimeHost(3, underlay: mesh.underlay, clock: mesh.clock, peers: [m.endpoint])
    mesh.underlay.severed = [(a.endpoint, c.endpoint)]
    mesh.hosts = [a, m, c]
    mesh.run(seconds: 5)
    // C's bridge speaks once (a broadcast, flooded through M), so A learns where its MAC is.
    c.tap.inject(TestFrame.make(from: TestFrame.mac(3), to: TestFrame.broadcast, tag: 0))
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.broadcast, tag: 0))
    mesh.settle()
    return (mesh, a, m, c)
  }

  @Test("relayed frames arrive once each and in order, and leave the middle host in batches")
  func relayedFramesArriveOnceInOrder() throws {
    let (mesh, a, m, c) = try Self.line()
    #expect(!a.isUp(with: c), "A and C have no session: they cannot reach each other")
    #expect(a.loop.engine.nextHop(to: c.id) == m.id, "A's route to C goes through M")

    let frames = (1...20).map {
      TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(3), tag: UInt8($0), length: 300)
    }
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
