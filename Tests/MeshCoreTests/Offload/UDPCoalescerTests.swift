import Testing

@testable import MeshCore
@testable import MeshProtocol

@Suite struct UDPCoalescerTests {
  private func finish(_ c: UDPCoalescer) -> (VirtioNetHeader, [UInt8]) {
    let whole = Array(c.finish())
    return (
      VirtioNetHeader.read(UnsafeRawBufferPointer(start: whole, count: whole.count))!,
      Array(whole[VirtioNetHeader.size...])
    )
  }

  private func append(_ c: UDPCoalescer, _ frame: [UInt8]) -> Bool {
    frame.withUnsafeBytes { c.append($0) }
  }

  @Test func checksumMatchesRFC1071() {
    let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
    let sum = bytes.withUnsafeBytes { Checksum.sum($0) }
    #expect(Checksum.fold(sum) == 0xDDF2)
    let odd: [UInt8] = [0x01]
    #expect(odd.withUnsafeBytes { Checksum.sum($0) } == 0x0100)
  }

  @Test func mergesARunOfOneFlow() {
    let c = UDPCoalescer()
    let payloads = (0..<3).map { [UInt8](repeating: UInt8($0), count: 64) }
    for p in payloads { #expect(append(c, UDPFrame.make(payload: p))) }
    #expect(c.count == 3)
    let (header, frame) = finish(c)
    #expect(c.count == 0)
    #expect(header.gsoType == VirtioNetHeader.gsoUDPL4)
    #expect(header.flags == VirtioNetHeader.needsChecksum)
    #expect(header.gsoSize == 64 && header.headerLength == 42)
    #expect(header.checksumStart == 34 && header.checksumOffset == 6)
    #expect(frame.count == 42 + 192)
    #expect(UDPFrame.u16(frame, 16) == 20 + 8 + 192)
    #expect(UDPFrame.u16(frame, 38) == 8 + 192)
    // The IPv4 header checksum verifies; the UDP field holds the pseudo-header's sum.
    #expect(UDPFrame.fold(UDPFrame.sum(Array(frame[14..<34]))) == 0xFFFF)
    let pseudo = UDPFrame.fold(UDPFrame.sum(Array(frame[26..<34])) + 17 + 200)
    #expect(UDPFrame.u16(frame, 40) == Int(pseudo))
    #expect(Array(frame[42...]) == payloads.flatMap { $0 })
  }

  @Test func aSingleFrameKeepsAPartialChecksumAndNoSegmentation() {
    let c = UDPCoalescer()
    #expect(append(c, UDPFrame.make(payload: [1, 2, 3])))
    let (header, frame) = finish(c)
    #expect(header.gsoType == VirtioNetHeader.gsoNone)
    #expect(header.flags == VirtioNetHeader.needsChecksum)
    #expect(frame.count == 45)
    #expect(header.isConsistent(frameLength: frame.count))
  }

  @Test func otherFlowsAndBiggerPayloadsEndTheRun() {
    let c = UDPCoalescer()
    #expect(append(c, UDPFrame.make(payload: [UInt8](repeating: 1, count: 64))))
    #expect(
      !append(c, UDPFrame.make(destinationPort: 5401, payload: [UInt8](repeating: 1, count: 64))))
    #expect(
      !append(c, UDPFrame.make(from: [10, 47, 0, 9], payload: [UInt8](repeating: 1, count: 64))))
    #expect(!append(c, UDPFrame.make(payload: [UInt8](repeating: 1, count: 64), ttl: 3)))
    #expect(!append(c, UDPFrame.make(payload: [UInt8](repeating: 1, count: 65))))
    // A shorter one ends the run: nothing joins after it.
    #expect(append(c, UDPFrame.make(payload: [UInt8](repeating: 1, count: 10))))
    #expect(!append(c, UDPFrame.make(payload: [UInt8](repeating: 1, count: 10))))
    #expect(c.count == 2)
  }

  @Test func refusesWhatItCannotMerge() {
    let c = UDPCoalescer()
    #expect(!append(c, UDPFrame.make(payload: [1], protocolNumber: 6)))
    #expect(!append(c, UDPFrame.make(payload: [1], fragmentField: 0x2000)))  // more fragments
    #expect(!append(c, UDPFrame.make(payload: [1], fragmentField: 0x0010)))  // an offset
    #expect(!append(c, UDPFrame.make(payload: [])))
    var options = UDPFrame.make(payload: [1, 2, 3, 4])
    options[14] = 0x46
    #expect(!append(c, options))
    var truncated = UDPFrame.make(payload: [1, 2, 3, 4])
    truncated.removeLast()
    #expect(!append(c, truncated))
    #expect(c.count == 0)
    // Ethernet padding after a short datagram is fine.
    #expect(append(c, UDPFrame.make(payload: [1]) + [UInt8](repeating: 0, count: 17)))
  }

  @Test func stopsAtTheSegmentLimit() {
    let c = UDPCoalescer()
    for _ in 0..<UDPCoalescer.maxSegments {
      #expect(append(c, UDPFrame.make(payload: [UInt8](repeating: 7, count: 64))))
    }
    #expect(!append(c, UDPFrame.make(payload: [UInt8](repeating: 7, count: 64))))
  }

  @Test func stopsAtTheIPLengthLimit() {
    let c = UDPCoalescer()
    let big = [UInt8](repeating: 7, count: 1472)
    var n = 0
    while append(c, UDPFrame.make(payload: big)) { n += 1 }
    #expect(n == (65_535 - 28) / 1472)
  }

  @Test func unmergeGivesBackTheFrames() {
    let c = UDPCoalescer()
    let payloads = [[UInt8](repeating: 1, count: 50), [UInt8](repeating: 2, count: 50), [3, 3]]
    for p in payloads { #expect(append(c, UDPFrame.make(payload: p))) }
    _ = c.finish()
    var frames: [[UInt8]] = []
    c.unmerge { frames.append(Array($0)) }
    #expect(frames.count == 3)
    for (frame, payload) in zip(frames, payloads) {
      let header = VirtioNetHeader.read(UnsafeRawBufferPointer(start: frame, count: frame.count))
      #expect(header?.isPlain == true)
      let f = Array(frame[VirtioNetHeader.size...])
      #expect(Array(f[42...]) == payload)
      #expect(UDPFrame.u16(f, 16) == 28 + payload.count)
      #expect(UDPFrame.u16(f, 38) == 8 + payload.count)
      #expect(UDPFrame.fold(UDPFrame.sum(Array(f[14..<34]))) == 0xFFFF)
    }
  }

  @Test func acceptsPlainAndPartialChecksumFramesOnly() {
    #expect(UDPCoalescer.accepts(nil))
    #expect(UDPCoalescer.accepts(.plain))
    let partial = VirtioNetHeader(
      flags: VirtioNetHeader.needsChecksum, gsoType: 0, headerLength: 0, gsoSize: 0,
      checksumStart: 34, checksumOffset: 6)
    #expect(UDPCoalescer.accepts(partial))
    var tcp = partial
    tcp.checksumOffset = 16
    #expect(!UDPCoalescer.accepts(tcp))
    var tso = partial
    tso.gsoType = VirtioNetHeader.gsoTCPv4
    #expect(!UDPCoalescer.accepts(tso))
  }
}
