import MeshCore

/// A clock the benchmarks move by hand. The engine reads wall time only for handshake
/// timestamps, so a fixed offset from the monotonic value is enough.
///
/// Benchmarks drive it from one thread; `@unchecked Sendable` only satisfies `MeshClock`.
final class BenchClock: MeshClock, @unchecked Sendable {
  /// Monotonic nanoseconds.
  private var ticks: UInt64 = 1_000_000_000

  /// The current monotonic instant.
  func now() -> MeshInstant { MeshInstant(nanoseconds: ticks) }

  /// A wall clock that moves with the monotonic one.
  func wallNanoseconds() -> UInt64 { 1_700_000_000_000_000_000 + ticks }

  /// Moves the clock forward.
  func advance(seconds: Double) { ticks += UInt64(seconds * 1e9) }
}

/// A repeatable random source (SplitMix64): the same keys and indices on every run.
struct SplitMix: RandomSource {
  /// The generator state.
  var state: UInt64

  /// Fills `buffer` with pseudo-random bytes.
  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for i in 0..<buffer.count {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      buffer[i] = UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
  }
}

/// An output that copies every datagram, for the handshake during set-up (never measured).
struct Recorder: EngineOutput {
  /// Datagrams sent, in order.
  var sent: [(bytes: [UInt8], to: Endpoint)] = []

  /// Keeps a copy of the datagram.
  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    sent.append((Array(datagram), endpoint))
  }

  /// Ignores delivered frames.
  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {}

  /// Ignores events.
  mutating func event(_ event: MeshEvent) {}
}

/// An output that does nothing but count, so the measured path costs what the engine costs.
/// The counters keep the optimizer from discarding the work.
struct Discard: EngineOutput {
  /// Datagrams handed to `send`.
  var datagrams = 0
  /// Frames handed to `deliver`.
  var frames = 0
  /// Bytes handed to either.
  var bytes = 0

  /// Counts the datagram.
  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    datagrams &+= 1
    bytes &+= datagram.count
  }

  /// Counts the frame.
  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {
    frames &+= 1
    bytes &+= frame.count
  }

  /// Ignores events.
  mutating func event(_ event: MeshEvent) {}
}

/// A fixed array of equal-sized packet slots in one allocation, reused for every batch.
final class PacketBatch: @unchecked Sendable {
  /// The size of one slot.
  let slotSize: Int
  /// How many slots there are.
  let count: Int
  /// The memory of all slots.
  let memory: UnsafeMutableRawBufferPointer
  /// The length of the packet in each slot.
  var lengths: [Int]

  /// Allocates `count` zeroed slots of `slotSize` bytes.
  init(count: Int, slotSize: Int) {
    self.count = count
    self.slotSize = slotSize
    memory = .allocate(byteCount: count * slotSize, alignment: 16)
    memory.initializeMemory(as: UInt8.self, repeating: 0)
    lengths = Array(repeating: 0, count: count)
  }

  deinit { memory.deallocate() }

  /// The whole slot `i`.
  func slot(_ i: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(rebasing: memory[(i * slotSize)..<((i + 1) * slotSize)])
  }

  /// The packet in slot `i`.
  func packet(_ i: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(rebasing: memory[(i * slotSize)..<(i * slotSize + lengths[i])])
  }
}

/// An output that copies each datagram into the next slot of a batch (set-up, not measured).
struct BatchFiller: EngineOutput {
  /// Where datagrams go.
  let batch: PacketBatch
  /// The next slot to fill.
  var next = 0

  /// Copies the datagram into the next slot.
  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    precondition(next < batch.count && datagram.count <= batch.slotSize)
    batch.slot(next).copyMemory(from: datagram)
    batch.lengths[next] = datagram.count
    next += 1
  }

  /// Ignores delivered frames.
  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {}

  /// Ignores events.
  mutating func event(_ event: MeshEvent) {}
}

/// Two engines, A and B, with an established session and each other's MAC learned, so that a
/// unicast frame from A's bridge to `macB` is sealed and sent to B in one call, as in a bulk
/// transfer between two containers on two hosts.
struct EnginePair {
  /// The full-size Ethernet frame for a 1500-byte underlay: the mesh MTU (1425) plus the
  /// 14-byte Ethernet header. Sealed, it makes a 1472-byte datagram (1500 minus IPv4 and UDP).
  static let fullFrame = 1425 + 14

  /// The shared clock.
  let clock = BenchClock()
  /// The sending host.
  var a: MeshEngine
  /// The receiving host.
  var b: MeshEngine
  /// A's underlay address.
  let endpointA = Endpoint("192.0.2.1:6786")!
  /// B's underlay address.
  let endpointB = Endpoint("192.0.2.2:6786")!
  /// A container behind A.
  let macA = MACAddress(0x02, 0, 0, 0, 0, 0x0A)
  /// A container behind B.
  let macB = MACAddress(0x02, 0, 0, 0, 0, 0x0B)

  /// Builds both engines, runs the handshake to completion and exchanges one frame each way.
  init() {
    let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
    var randomA = SplitMix(state: 1)
    var randomB = SplitMix(state: 2)
    var configA = MeshEngineConfiguration(
      privateKey: .generate(using: &randomA), nickname: "a", clusterSecrets: [secret])
    configA.advertisedEndpoints = [endpointA]
    var configB = MeshEngineConfiguration(
      privateKey: .generate(using: &randomB), nickname: "b", clusterSecrets: [secret])
    configB.advertisedEndpoints = [endpointB]
    a = MeshEngine(configuration: configA, clock: clock, random: randomA)
    b = MeshEngine(configuration: configB, clock: clock, random: randomB)

    a.connect(endpointB, now: clock.now())
    for _ in 0..<50 where !established {
      clock.advance(seconds: 0.1)
      var outA = Recorder()
      var outB = Recorder()
      a.tick(now: clock.now(), out: &outA)
      b.tick(now: clock.now(), out: &outB)
      exchange(&outA, &outB)
    }
    precondition(established, "benchmark engines did not establish a session")
    // Each side learns where the other's container lives.
    var outA = Recorder()
    var outB = Recorder()
    let now = clock.now()
    Self.withFrame(dst: macA, src: macB) { b.sendFrame($0, frameLength: $1, now: now, out: &outB) }
    exchange(&outA, &outB)
    Self.withFrame(dst: macB, src: macA) { a.sendFrame($0, frameLength: $1, now: now, out: &outA) }
    exchange(&outA, &outB)
    precondition(a.macTable.lookup(macB, now: clock.now()) != nil, "A did not learn macB")
    precondition(b.macTable.lookup(macA, now: clock.now()) != nil, "B did not learn macA")
  }

  /// Whether both sides report the other as established.
  var established: Bool {
    let now = clock.now()
    return a.status(now: now).peers.contains { $0.state == "established" }
      && b.status(now: now).peers.contains { $0.state == "established" }
  }

  /// Delivers everything queued in both outputs until neither has anything left (bounded).
  mutating func exchange(_ outA: inout Recorder, _ outB: inout Recorder) {
    for _ in 0..<10 {
      let fromA = outA.sent
      let fromB = outB.sent
      outA.sent = []
      outB.sent = []
      if fromA.isEmpty && fromB.isEmpty { return }
      for var d in fromA where d.to == endpointB {
        d.bytes.withUnsafeMutableBytes {
          b.receive($0, from: endpointA, now: clock.now(), out: &outB)
        }
      }
      for var d in fromB where d.to == endpointA {
        d.bytes.withUnsafeMutableBytes {
          a.receive($0, from: endpointB, now: clock.now(), out: &outA)
        }
      }
    }
  }

  /// Calls `body` with a `sendFrame` buffer holding a full-size frame from `src` to `dst`.
  static func withFrame(
    dst: MACAddress, src: MACAddress, _ body: (UnsafeMutableRawBufferPointer, Int) -> Void
  ) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: MeshEngine.bufferSize, alignment: 16)
    defer { buffer.deallocate() }
    buffer.initializeMemory(as: UInt8.self, repeating: 0x5A)
    writeEthernetHeader(
      dst: dst, src: src,
      into: UnsafeMutableRawBufferPointer(rebasing: buffer[MeshEngine.framePrefix...]))
    body(buffer, fullFrame)
  }

  /// Writes destination, source and EtherType (IPv4) at the start of `frame`.
  @inline(__always)
  static func writeEthernetHeader(
    dst: MACAddress, src: MACAddress, into frame: UnsafeMutableRawBufferPointer
  ) {
    for i in 0..<6 {
      frame[i] = UInt8(truncatingIfNeeded: dst.rawValue >> (40 - 8 * UInt64(i)))
      frame[6 + i] = UInt8(truncatingIfNeeded: src.rawValue >> (40 - 8 * UInt64(i)))
    }
    frame[12] = 0x08
    frame[13] = 0x00
  }

  /// Has A seal `batch.count` full-size frames to B into `batch`, with increasing counters:
  /// the datagrams that B's receive path is then measured on.
  mutating func sealBatch(into batch: PacketBatch, frameBuffer: UnsafeMutableRawBufferPointer) {
    var filler = BatchFiller(batch: batch)
    let frame = UnsafeMutableRawBufferPointer(rebasing: frameBuffer[MeshEngine.framePrefix...])
    for _ in 0..<batch.count {
      Self.writeEthernetHeader(dst: macB, src: macA, into: frame)
      a.sendFrame(frameBuffer, frameLength: Self.fullFrame, now: clock.now(), out: &filler)
    }
    precondition(filler.next == batch.count, "A did not send one datagram per frame")
  }
}
