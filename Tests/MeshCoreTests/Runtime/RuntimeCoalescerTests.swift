import Testing

@testable import MeshCore
@testable import MeshProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// Runs of one UDP flow reach the TAP as one merged frame, unless the TAP refuses those.
@Suite("Runtime: UDP coalescing on delivery")
struct RuntimeCoalescerTests {
  static func flow(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in
      UDPFrame.make(
        dst: TestFrame.mac(2), src: TestFrame.mac(1),
        payload: [UInt8](repeating: UInt8(i), count: 200), identification: UInt16(i + 1))
    }
  }

  @Test("a run arrives as one merged USO frame")
  func runIsMerged() throws {
    let mesh = try RuntimeMesh.pair(virtioHeader: true, coalesceUDP: true)
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    for f in Self.flow(4) { a.tap.inject(f) }
    a.loop.step(timeoutMilliseconds: 0)
    let written = b.tap.written.count
    b.loop.step(timeoutMilliseconds: 0)
    let headers = Array(b.tap.writtenHeaders.dropFirst(written))
    #expect(headers.count == 1)
    #expect(headers.first??.gsoType == VirtioNetHeader.gsoUDPL4)
    #expect(headers.first??.gsoSize == 200)
  }

  @Test("a TAP that refuses merged frames (EINVAL) gets them one by one, and no more merges")
  func refusedMergeFallsBack() throws {
    let mesh = try RuntimeMesh.pair(virtioHeader: true, coalesceUDP: true)
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    b.tap.refuse = { header in header?.gsoType == VirtioNetHeader.gsoUDPL4 ? EINVAL : nil }
    let flow = Self.flow(4)
    for f in flow { a.tap.inject(f) }
    a.loop.step(timeoutMilliseconds: 0)
    var written = b.tap.written.count
    b.loop.step(timeoutMilliseconds: 0)
    #expect(b.tap.refused == 1)
    // Unmerged frames keep the run's headers (checksums are left to the kernel): compare
    // the payloads.
    #expect(Self.payloads(b.tap.writtenFrames.dropFirst(written)) == Self.payloads(flow))
    #expect(b.loop.output.coalescer == nil)
    #expect(b.status().drops[.tapWrite] == 0)

    // From now on frames go one by one without another refusal.
    for f in flow { a.tap.inject(f) }
    a.loop.step(timeoutMilliseconds: 0)
    written = b.tap.written.count
    b.loop.step(timeoutMilliseconds: 0)
    #expect(b.tap.refused == 1)
    #expect(Array(b.tap.writtenFrames.dropFirst(written)) == flow)
  }

  /// The UDP payloads of Ethernet/IPv4/UDP frames.
  static func payloads(_ frames: some Sequence<[UInt8]>) -> [[UInt8]] {
    frames.map { Array($0.dropFirst(UDPCoalescer.headerLength)) }
  }
}
