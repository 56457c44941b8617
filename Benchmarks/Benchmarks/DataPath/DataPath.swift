import Benchmark
import MeshCore

// Micro-benchmarks of the per-packet path. Every benchmark runs `scalingFactor` packets per
// iteration, so with the metrics scaled per inner iteration (the default), `throughput` reads
// as packets per second on one core and `mallocCountTotal` as allocations per packet.
// Per-iteration preparation (refilling a batch of ciphertexts) happens before
// `startMeasurement()`, so it is neither timed nor counted.

/// The plaintext length of the crypto benchmarks: a 1420-byte packet, as in WireGuard's MTU.
let cryptoLength = 1420

/// Packets per iteration for the packet benchmarks (`.kilo`; metrics are reported per packet).
let packetsPerIteration = BenchmarkScalingFactor.kilo.rawValue

/// The metrics every benchmark reports.
let dataPathMetrics: [BenchmarkMetric] = [
  .throughput, .wallClock, .mallocCountTotal, .retainCount, .releaseCount,
]

/// Registers the benchmarks (the entry point that package-benchmark's plugin calls).
let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: dataPathMetrics,
    timeUnits: .nanoseconds,
    warmupIterations: 3,
    scalingFactor: .kilo,
    maxDuration: .seconds(2),
    maxIterations: 2_000
  )
  registerCrypto()
  registerEngine()
  registerWireAndSwitch()
  registerOffload()
}

// MARK: ChaCha20-Poly1305

/// A key and a buffer for in-place sealing and opening, allocated once.
final class CryptoState {
  /// 32 key bytes.
  let key: UnsafeMutableRawBufferPointer
  /// One packet with room for its tag.
  let buffer: UnsafeMutableRawBufferPointer
  /// A batch of sealed packets, refilled before each measured iteration of `open`.
  let batch: PacketBatch
  /// A sealed packet (ciphertext and tag) that `batch` is refilled from.
  let sealed: UnsafeMutableRawBufferPointer
  /// The next message counter.
  var counter: UInt64 = 0

  /// Allocates the buffers and seals the reference packet with counter 7.
  init() {
    key = .allocate(byteCount: ChaChaPoly.keyLength, alignment: 16)
    for i in 0..<key.count { key[i] = UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
    buffer = .allocate(byteCount: cryptoLength + ChaChaPoly.tagLength, alignment: 16)
    buffer.initializeMemory(as: UInt8.self, repeating: 0x42)
    sealed = .allocate(byteCount: cryptoLength + ChaChaPoly.tagLength, alignment: 16)
    sealed.initializeMemory(as: UInt8.self, repeating: 0x42)
    ChaChaPoly.sealInPlace(
      key: key.baseAddress!, counter: 7, ad: UnsafeRawBufferPointer(start: nil, count: 0),
      buffer: sealed.baseAddress!, length: cryptoLength)
    batch = PacketBatch(count: packetsPerIteration, slotSize: sealed.count)
  }

  deinit {
    key.deallocate()
    buffer.deallocate()
    sealed.deallocate()
  }
}

/// `ChaChaPoly.sealInPlace` and `openInPlace` on 1420-byte packets: the cipher's own cost,
/// the ceiling of any data path built on it.
func registerCrypto() {
  let state = CryptoState()
  let noAD = UnsafeRawBufferPointer(start: nil, count: 0)

  Benchmark("ChaChaPoly.sealInPlace 1420 B") { benchmark in
    let key = state.key.baseAddress!
    let buffer = state.buffer.baseAddress!
    for _ in benchmark.scaledIterations {
      ChaChaPoly.sealInPlace(
        key: key, counter: state.counter, ad: noAD, buffer: buffer, length: cryptoLength)
      state.counter &+= 1
    }
    blackHole(state.buffer[0])
  }

  Benchmark("ChaChaPoly.openInPlace 1420 B") { benchmark in
    // Opening decrypts in place, so every packet needs its own fresh ciphertext copy.
    for i in 0..<state.batch.count {
      state.batch.slot(i).copyMemory(from: UnsafeRawBufferPointer(state.sealed))
      state.batch.lengths[i] = state.sealed.count
    }
    let key = state.key.baseAddress!
    var failures = 0
    benchmark.startMeasurement()
    for i in benchmark.scaledIterations {
      let ok = ChaChaPoly.openInPlace(
        key: key, counter: 7, ad: noAD, buffer: state.batch.slot(i).baseAddress!,
        length: state.sealed.count)
      if !ok { failures += 1 }
    }
    benchmark.stopMeasurement()
    precondition(failures == 0, "openInPlace rejected a valid packet")
  }
}

// MARK: Engine

/// An established engine pair and the buffers the engine benchmarks reuse.
final class EngineState {
  /// A and B with a session and each other's MAC learned.
  var pair = EnginePair()
  /// A `sendFrame` buffer holding one full-size frame.
  let frameBuffer: UnsafeMutableRawBufferPointer
  /// Datagrams from A to B with increasing counters, sealed before each measured iteration.
  let batch = PacketBatch(count: packetsPerIteration, slotSize: 2048)
  /// What the engine under test decided (counts only).
  var out = Discard()

  /// Sets up the pair and a frame buffer filled with a payload pattern.
  init() {
    frameBuffer = .allocate(byteCount: MeshEngine.bufferSize, alignment: 16)
    frameBuffer.initializeMemory(as: UInt8.self, repeating: 0x5A)
  }

  deinit { frameBuffer.deallocate() }
}

/// `MeshEngine.sendFrame` and `MeshEngine.receive` with an established session: everything
/// between the TAP read and the socket write, and back, minus the system calls.
func registerEngine() {
  let send = EngineState()
  Benchmark("MeshEngine.sendFrame 1439 B unicast") { benchmark in
    let now = send.pair.clock.now()
    let frame = UnsafeMutableRawBufferPointer(
      rebasing: send.frameBuffer[MeshEngine.framePrefix...])
    let (dst, src) = (send.pair.macB, send.pair.macA)
    let before = send.out.datagrams
    for _ in benchmark.scaledIterations {
      // Sealing in place overwrote the previous frame; put its Ethernet header back, as a
      // TAP read would have (14 byte stores, next to nothing beside the cipher).
      EnginePair.writeEthernetHeader(dst: dst, src: src, into: frame)
      send.pair.a.sendFrame(
        send.frameBuffer, frameLength: EnginePair.fullFrame, now: now, out: &send.out)
    }
    precondition(
      send.out.datagrams - before == benchmark.scaledIterations.count,
      "sendFrame did not send one datagram per frame")
  }

  let receive = EngineState()
  Benchmark("MeshEngine.receive 1472 B transport") { benchmark in
    receive.pair.sealBatch(into: receive.batch, frameBuffer: receive.frameBuffer)
    let now = receive.pair.clock.now()
    let source = receive.pair.endpointA
    let before = receive.out.frames
    benchmark.startMeasurement()
    for i in benchmark.scaledIterations {
      receive.pair.b.receive(receive.batch.packet(i), from: source, now: now, out: &receive.out)
    }
    benchmark.stopMeasurement()
    precondition(
      receive.out.frames - before == benchmark.scaledIterations.count,
      "receive did not deliver one frame per datagram")
  }
}

// MARK: Wire and switch

/// A transport datagram to parse and a buffer to write headers into.
final class WireState {
  /// A full-size transport datagram (contents past the header do not matter to the parser).
  let datagram: UnsafeMutableRawBufferPointer
  /// A learned table of 1024 remote MACs, and the addresses it holds.
  var table = MACTable()
  /// The addresses in `table`, looked up in turn.
  let macs: [MACAddress]
  /// The time the entries were learned at (fresh, so lookups hit).
  let now = MeshInstant(nanoseconds: 5_000_000_000)

  /// Builds the datagram and the table.
  init() {
    datagram = .allocate(byteCount: 1472, alignment: 16)
    datagram.initializeMemory(as: UInt8.self, repeating: 0)
    try! TransportHeader.write(receiverIndex: 0x1234_5678, counter: 1, into: datagram)
    macs = (0..<1024).map { MACAddress(rawValue: 0x0242_0A2F_0000 | UInt64($0)) }
    for (i, mac) in macs.enumerated() {
      table.learnRemote(mac, from: PeerID(rawValue: UInt64(i % 16 + 1)), now: now)
    }
  }

  deinit { datagram.deallocate() }
}

/// The transport header codec and the MAC table lookup that every frame does.
func registerWireAndSwitch() {
  let state = WireState()
  let fast = Benchmark.Configuration(scalingFactor: .mega)

  Benchmark("TransportHeader.parse", configuration: fast) { benchmark in
    let raw = UnsafeRawBufferPointer(state.datagram)
    var sum: UInt64 = 0
    for i in benchmark.scaledIterations {
      // A counter byte changes every iteration, so the parse cannot be done once for all.
      state.datagram[8] = UInt8(truncatingIfNeeded: i)
      let header = try! TransportHeader.parse(raw)
      sum &+= header.counter &+ UInt64(header.receiverIndex)
    }
    blackHole(sum)
  }

  Benchmark("TransportHeader.write", configuration: fast) { benchmark in
    var counter: UInt64 = 0
    for _ in benchmark.scaledIterations {
      try! TransportHeader.write(receiverIndex: 0x1234_5678, counter: counter, into: state.datagram)
      counter &+= 1
    }
    blackHole(state.datagram[8])
  }

  Benchmark("MACTable.lookup (1024 entries, hit)", configuration: fast) { benchmark in
    var hits = 0
    let macs = state.macs
    for i in benchmark.scaledIterations {
      if state.table.lookup(macs[i & 1023], now: state.now) != nil { hits += 1 }
    }
    precondition(hits == benchmark.scaledIterations.count, "lookup missed")
  }
}

/// Merging runs of one UDP flow before the TAP write: 64 frames of 64-byte datagrams per run.
func registerOffload() {
  let coalescer = UDPCoalescer()
  // Ethernet + IPv4 (no options, DF) + UDP, 64 payload bytes; the checksums do not matter here.
  var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
  frame += [0x45, 0, 0, 92, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 47, 0, 1, 10, 47, 0, 2]
  frame += [0x1B, 0x58, 0x15, 0x18, 0, 72, 0, 0] + [UInt8](repeating: 0xAB, count: 64)
  let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count, alignment: 16)
  bytes.copyBytes(from: frame)

  Benchmark("UDPCoalescer.append 106 B (runs of 64)") { benchmark in
    let raw = UnsafeRawBufferPointer(bytes)
    var written = 0
    for _ in benchmark.scaledIterations {
      if !coalescer.append(raw) {
        written &+= coalescer.finish().count
        _ = coalescer.append(raw)
      }
    }
    blackHole(written)
  }

  // The flow key the data thread computes for every frame it reads from the TAP. The source
  // port changes every iteration: with one constant frame the compiler computed the key once
  // and the loop measured nothing.
  Benchmark("FrameFlow.key 106 B UDP frame", configuration: .init(scalingFactor: .mega)) {
    benchmark in
    let raw = UnsafeRawBufferPointer(bytes)
    var sum: UInt32 = 0
    for i in benchmark.scaledIterations {
      bytes[35] = UInt8(truncatingIfNeeded: i)
      sum &+= FrameFlow.key(of: raw)
    }
    blackHole(sum)
  }
}
