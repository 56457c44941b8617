import Testing

@testable import MeshCore

/// Small flows overtake a bulk stream's backlog in the data thread: a frame of a flow with
/// nothing waiting is sealed before the backlog, small ones leave in a send of their own, and
/// no flow's frames change order.
@Suite("Runtime: sparse flows first")
struct RuntimeSparseFlowTests {
  typealias Loop = NodeLoop<FakeTunnel, FakeSocketFactory, FakeClock>

  static func bulk(_ tags: ClosedRange<Int>) -> [[UInt8]] {
    tags.map {
      TestFrame.make(
        from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8($0),
        length: Loop.batchBytes / 2 + 1000)
    }
  }

  static let ping = TestFrame.make(
    from: TestFrame.mac(1), to: TestFrame.mac(2), tag: 99, length: 60, etherType: 0xB6)

  @Test("a frame of another flow read behind a bulk backlog leaves in the first batch")
  func sparseFlowGoesFirst() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let bulk = Self.bulk(1...6)
    let ping = Self.ping
    for f in bulk + [ping] { a.tap.inject(f) }
    let written = b.tap.writtenFrames.count
    #expect(a.loop.drainTap() == 3, "the bulk flow's first frame, the ping, then the backlog")
    mesh.settle(rounds: 3)
    let arrived = Array(b.tap.writtenFrames.dropFirst(written))
    #expect(arrived.count == 7, "every frame arrived once")
    #expect(arrived.firstIndex(of: ping) == 1, "the ping right after the frame read before it")
    #expect(arrived.filter { $0 != ping } == bulk, "the bulk flow in its own order")
  }

  @Test("a small frame read while a backlog waits leaves in a send of its own, before it")
  func smallSparseFrameLeavesAlone() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let bulk = Self.bulk(1...4)
    for f in bulk { a.tap.inject(f) }
    #expect(a.loop.drainTap() == 2, "two large frames fill the first batch")
    #expect(a.loop.backlog.count == 2, "two wait")
    let written = b.tap.writtenFrames.count
    let sends = a.socket.batches.count
    a.tap.inject(Self.ping)
    #expect(a.loop.drainTap() == 3, "the ping, then the backlog")
    let batches = Array(a.socket.batches.dropFirst(sends))
    #expect(batches.first == 1, "the ping's datagram went alone, first: \(batches)")
    mesh.settle(rounds: 3)
    let arrived = Array(b.tap.writtenFrames.dropFirst(written))
    #expect(arrived.firstIndex(of: Self.ping) == 2, "after the first batch, before the backlog")
    #expect(arrived.filter { $0 != Self.ping } == bulk)
  }

  @Test("a run of one small flow still leaves in one send: no early flush without bulk behind")
  func oneSmallFlowOneSend() throws {
    let mesh = try RuntimeMesh.pair()
    let a = mesh.hosts[0]
    for tag in 1...5 {
      a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8(tag)))
    }
    let sends = a.socket.batches.count
    #expect(a.loop.drainTap() == 5)
    #expect(Array(a.socket.batches.dropFirst(sends)) == [5])
  }

  @Test("the backlog is sealed in later steps without the TAP being readable")
  func backlogSealedWithoutReads() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let bulk = Self.bulk(1...6)
    for f in bulk { a.tap.inject(f) }
    let written = b.tap.writtenFrames.count
    #expect(a.loop.drainTap() == 2)
    #expect(a.loop.waitTime(now: mesh.clock.now()) == 0, "no sleep while frames wait")
    #expect(a.loop.drainTap(read: false) == 2)
    #expect(a.loop.drainTap(read: false) == 2)
    #expect(a.loop.backlog.isEmpty)
    mesh.settle(rounds: 3)
    #expect(Array(b.tap.writtenFrames.dropFirst(written)) == bulk)
  }
}
