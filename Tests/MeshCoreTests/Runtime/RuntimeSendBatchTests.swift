import Testing

@testable import MeshCore

/// Frames read from the TAP in one go leave in one batch; copies the engine makes in its
/// scratch space leave at once, intact.
@Suite("Runtime: send batches")
struct RuntimeSendBatchTests {
  @Test("unicast frames read together leave as one batch, in order, and all arrive")
  func unicastFramesLeaveTogether() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let frames = (1...5).map {
      TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8($0))
    }
    for f in frames { a.tap.inject(f) }
    let before = a.socket.batches.count
    a.loop.step(timeoutMilliseconds: 0)
    #expect(Array(a.socket.batches.dropFirst(before)) == [5])
    let written = b.tap.writtenFrames.count
    b.loop.step(timeoutMilliseconds: 0)
    #expect(Array(b.tap.writtenFrames.dropFirst(written)) == frames)
  }

  @Test("more frames than a batch holds: one flush per batch of 32")
  func fullBatchesFlush() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let frames = (0..<40).map {
      TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: UInt8($0))
    }
    for f in frames { a.tap.inject(f) }
    let before = a.socket.batches.count
    a.loop.step(timeoutMilliseconds: 0)
    #expect(Array(a.socket.batches.dropFirst(before)) == [32])
    a.loop.step(timeoutMilliseconds: 0)
    #expect(Array(a.socket.batches.dropFirst(before)) == [32, 8])
    let written = b.tap.writtenFrames.count
    b.loop.step(timeoutMilliseconds: 0)
    b.loop.step(timeoutMilliseconds: 0)
    #expect(Array(b.tap.writtenFrames.dropFirst(written)) == frames)
  }

  @Test("flooded frames (copies in the engine's scratch space) leave at once, each intact")
  func floodCopiesLeaveAtOnce() throws {
    var mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    let c = try RuntimeHost(3, underlay: mesh.underlay, clock: mesh.clock, peers: [a.endpoint])
    mesh.hosts.append(c)
    mesh.run(seconds: 3)
    #expect(a.isUp(with: c))
    // Broadcasts from A go to B and C, each a copy sealed in the engine's scratch buffer.
    let frames = (1...3).map {
      TestFrame.make(from: TestFrame.mac(1), to: TestFrame.broadcast, tag: UInt8(40 + $0))
    }
    for f in frames { a.tap.inject(f) }
    let singles = a.socket.singles
    let batches = a.socket.batches.count
    let (wb, wc) = (b.tap.writtenFrames.count, c.tap.writtenFrames.count)
    a.loop.step(timeoutMilliseconds: 0)
    #expect(a.socket.batches.count == batches, "nothing waited in the queue")
    #expect(a.socket.singles - singles >= 3)
    mesh.settle(rounds: 2)
    #expect(Array(b.tap.writtenFrames.dropFirst(wb)).filter { $0.last! > 40 } == frames)
    #expect(Array(c.tap.writtenFrames.dropFirst(wc)).filter { $0.last! > 40 } == frames)
  }
}
