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
}
