import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshTypes

/// The main socket's budget: a flood of junk costs at most a budget per tick.
@Suite("Runtime: stranger budget")
struct RuntimeStrangerBudgetTests {
  /// A handshake-shaped datagram with a wrong mac1: junk the engine drops.
  static let junk: [UInt8] = [1, 0, 0, 0] + [UInt8](repeating: 0xA5, count: 144)

  @Test("a flood is read up to the budget, then the mesh port waits for the next tick")
  func floodPausesTheMainSocket() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let stranger = Endpoint("203.0.113.9:4000")!
    let flood = 3 * NodeLoop<FakeTunnel, FakeSocketFactory, FakeClock>.strangerBudget
    for _ in 0..<flood {
      Self.junk.withUnsafeBytes { mesh.underlay.carry($0, from: stranger, to: b.endpoint) }
    }
    let dropsBefore = b.loop.engine.drops.total
    for _ in 0..<200 { b.loop.step(timeoutMilliseconds: 0) }
    let budget = NodeLoop<FakeTunnel, FakeSocketFactory, FakeClock>.strangerBudget
    #expect(b.loop.strangersPaused)
    #expect(b.socket.pending == flood - budget, "no more than one budget read in one tick")
    #expect(b.loop.engine.drops.total - dropsBefore == UInt64(budget))

    // Members have sockets of their own: A's data still reaches B while the port waits.
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: 9))
    a.loop.step(timeoutMilliseconds: 0)
    b.loop.step(timeoutMilliseconds: 0)
    #expect(
      b.tap.writtenFrames.last
        == TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: 9))

    // The next tick renews the budget and the port is read again.
    mesh.clock.advance(MeshEngine.tickInterval)
    b.loop.step(timeoutMilliseconds: 0)
    #expect(!b.loop.strangersPaused)
    for _ in 0..<200 { b.loop.step(timeoutMilliseconds: 0) }
    #expect(b.socket.pending == flood - 2 * budget)
  }
}
