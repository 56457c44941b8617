import Testing

@testable import MeshCore

/// A TAP batch is bounded by bytes as well as by frames, so that a small packet read after it
/// does not wait for megabytes of sealing.
@Suite("Runtime: batch bytes")
struct RuntimeBatchBytesTests {
  @Test("large frames: a batch stops once it holds batchBytes; small frames: 32 per batch")
  func batchStopsAtItsBytes() throws {
    let mesh = try RuntimeMesh.pair()
    let a = mesh.hosts[0]
    let large = NodeLoop<FakeTunnel, FakeSocketFactory, FakeClock>.batchBytes / 2 + 1000
    for tag in 1...5 {
      a.tap.inject(
        TestFrame.make(
          from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8(tag), length: large))
    }
    #expect(a.loop.drainTap() == 2, "two frames of over half the bytes fill a batch")
    #expect(a.loop.drainTap() == 2)
    #expect(a.loop.drainTap() == 1)

    for tag in 1...40 {
      a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8(tag)))
    }
    #expect(a.loop.drainTap() == 32, "small frames: the frame bound")
    #expect(a.loop.drainTap() == 8)
  }

  @Test("a frame of another flow read behind a bulk backlog leaves in the first batch")
  func sparseFlowGoesFirst() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let large = NodeLoop<FakeTunnel, FakeSocketFactory, FakeClock>.batchBytes / 2 + 1000
    let bulk = (1...6).map {
      TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8($0), length: large)
    }
    let ping = TestFrame.make(
      from: TestFrame.mac(1), to: TestFrame.mac(2), tag: 99, length: 60, etherType: 0xB6)
    for f in bulk + [ping] { a.tap.inject(f) }
    let written = b.tap.writtenFrames.count
    #expect(a.loop.drainTap() == 3, "the bulk flow's first frame, the ping, then the backlog")
    mesh.settle(rounds: 3)
    let arrived = Array(b.tap.writtenFrames.dropFirst(written))
    #expect(arrived.count == 7, "every frame arrived once")
    #expect(arrived.firstIndex(of: ping) == 1, "the ping right after the frame read before it")
    #expect(arrived.filter { $0 != ping } == bulk, "the bulk flow in its own order")
  }
}
