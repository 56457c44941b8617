import Dispatch
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// The data thread of a `MeshNode`: it owns the engine, the TAP and the socket, and is the
/// only code that touches them once the node runs.
final class NodeLoop: @unchecked Sendable {
  /// Most packets taken from one source before the other gets a turn.
  static let batch = 64

  var engine: MeshEngine
  let tap: TapDevice
  let socket: UDPSocket
  let clock: SystemClock
  unowned let node: MeshNode
  let logger: Logger
  let poller: Poller
  let notifier: EventNotifier
  let tapBuffer: UnsafeMutableRawBufferPointer
  let udpBuffer: UnsafeMutableRawBufferPointer
  var output: NodeOutput
  var running = true
  /// The engine's endpoints version last handed to the state writer.
  var savedEndpointsVersion: UInt64 = 0
  /// Writes state files off the data thread.
  let stateWriter = DispatchQueue(label: "meshd.state-writer")

  private enum Token: Int {
    case tap = 1
    case socket = 2
    case wake = 3
  }

  init(
    engine: MeshEngine, tap: TapDevice, socket: UDPSocket, clock: SystemClock, node: MeshNode,
    logger: Logger
  ) throws {
    self.engine = engine
    self.tap = tap
    self.socket = socket
    self.clock = clock
    self.node = node
    self.logger = logger
    self.poller = try Poller()
    self.notifier = try EventNotifier()
    self.tapBuffer = .allocate(byteCount: MeshEngine.bufferSize, alignment: 16)
    self.udpBuffer = .allocate(byteCount: MeshEngine.bufferSize, alignment: 16)
    self.output = NodeOutput(
      tap: tap, node: node, stateWriter: stateWriter, socket: socket, events: node.eventSink,
      logger: logger)
    try poller.add(fd: tap.fd, token: Token.tap.rawValue)
    try poller.add(fd: socket.fd, token: Token.socket.rawValue)
    try poller.add(fd: notifier.fd, token: Token.wake.rawValue)
  }

  deinit {
    tapBuffer.deallocate()
    udpBuffer.deallocate()
  }

  /// Wakes the thread to read its command queue.
  func wake() { notifier.signal() }

  /// Starts `loop.run()` on a new thread.
  static func spawn(_ loop: NodeLoop) throws -> pthread_t {
    var thread = pthread_t()
    let box = Unmanaged.passRetained(loop).toOpaque()
    let rc = pthread_create(
      &thread, nil,
      { raw in
        let loop = Unmanaged<NodeLoop>.fromOpaque(raw!).takeRetainedValue()
        loop.run()
        return nil
      }, box)
    guard rc == 0 else {
      Unmanaged<NodeLoop>.fromOpaque(box).release()
      throw SystemError(call: "pthread_create", errno: rc)
    }
    return thread
  }

  func run() {
    var ready = [ReadyEvent](repeating: ReadyEvent(), count: 8)
    var nextTick = clock.now()
    while running {
      let now = clock.now()
      let wait = nextTick > now ? Int((nextTick.nanoseconds - now.nanoseconds) / 1_000_000) : 0
      let n: Int
      do {
        n = try poller.wait(timeoutMilliseconds: Int32(clamping: max(wait, 0)), into: &ready)
      } catch {
        logger.error("poll failed: \(error)")
        break
      }
      for i in 0..<n {
        switch Token(rawValue: ready[i].token) {
        case .tap: drainTap()
        case .socket: drainSocket()
        case .wake: runCommands()
        case nil: break
        }
      }
      let after = clock.now()
      if after >= nextTick {
        engine.tick(now: after, out: &output)
        nextTick = after.adding(seconds: MeshEngine.tickInterval)
        saveKnownPeersIfChanged()
      }
    }
    tap.close()
    socket.close()
  }

  /// Hands the known peers to the state writer when they changed; the data thread never
  /// waits for the disk.
  func saveKnownPeersIfChanged() {
    guard engine.endpointsVersion != savedEndpointsVersion,
      let directory = node.configuration.stateDirectory
    else { return }
    savedEndpointsVersion = engine.endpointsVersion
    let endpoints = engine.knownEndpoints
    let logger = self.logger
    stateWriter.async {
      do {
        try directory.saveKnownPeers(endpoints)
      } catch {
        logger.error("cannot save known peers: \(error)")
      }
    }
  }

  func drainTap() {
    // With offloads, the TAP puts its virtio-net header right before the frame.
    let header = tap.hasVirtioHeader ? VirtioNetHeader.size : 0
    let room = UnsafeMutableRawBufferPointer(
      rebasing: tapBuffer[
        (MeshEngine.framePrefix - header)..<(MeshEngine.bufferSize - MeshEngine.frameSuffix)])
    for _ in 0..<NodeLoop.batch {
      let n: Int
      do {
        guard let got = try tap.read(into: room) else { return }
        n = got - header
      } catch {
        logger.warning("TAP read failed: \(error)")
        return
      }
      guard n > 0 else { continue }
      let offload = header == 0 ? nil : VirtioNetHeader.read(UnsafeRawBufferPointer(room))
      engine.sendFrame(tapBuffer, frameLength: n, offload: offload, now: clock.now(), out: &output)
    }
  }

  func drainSocket() {
    for _ in 0..<NodeLoop.batch {
      let got: (length: Int, from: Endpoint)?
      do {
        got = try socket.receive(into: udpBuffer)
      } catch {
        logger.debug("socket receive failed: \(error)")
        continue
      }
      guard let got else { break }
      engine.receive(
        UnsafeMutableRawBufferPointer(rebasing: udpBuffer[0..<got.length]), from: got.from,
        now: clock.now(), out: &output)
    }
    engine.processHandshakes(now: clock.now(), out: &output)
  }

  func runCommands() {
    notifier.drain()
    let pending = node.commands.withLock { q in
      defer { q.removeAll(keepingCapacity: true) }
      return q
    }
    let now = clock.now()
    for c in pending {
      switch c {
      case .connect(let ep): engine.connect(ep, now: now)
      case .reload(let secrets, let allowed):
        engine.setClusterSecrets(secrets)
        engine.setAllowedKeys(allowed)
      case .forget(let ep, let reply): reply(engine.forget(ep))
      case .release(let peer, let reply): reply(engine.release(peer, now: now))
      case .status(let reply):
        var s = engine.status(now: now)
        s.drops = engine.drops.adding(output.drops)
        reply(s)
      case .stop: running = false
      }
    }
    engine.tick(now: now, out: &output)
  }
}

/// Carries out the engine's decisions on the real devices.
struct NodeOutput: EngineOutput {
  let tap: TapDevice
  unowned let node: MeshNode
  /// Where slow work prompted by events (files, netlink) runs, off the data thread.
  let stateWriter: DispatchQueue
  let socket: UDPSocket
  let events: AsyncStream<MeshEvent>.Continuation
  let logger: Logger
  /// Drops that happen here rather than in the engine (TAP down, send errors).
  var drops = DropCounters()

  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    do { try socket.send(datagram, to: endpoint) } catch { drops.count(.sendFailed) }
  }

  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {
    do {
      if tap.hasVirtioHeader {
        let start = frame.baseAddress! - VirtioNetHeader.size
        let withHeader = UnsafeMutableRawBufferPointer(
          start: start, count: frame.count + VirtioNetHeader.size)
        (offload ?? .plain).write(into: withHeader)
        try tap.write(UnsafeRawBufferPointer(withHeader))
      } else if offload == nil {
        try tap.write(UnsafeRawBufferPointer(frame))
      } else {
        drops.count(.offloadUnsupported)
      }
    } catch {
      drops.count(.tapWrite)
    }
  }

  mutating func event(_ event: MeshEvent) {
    if case .subnetClaimed(let claim) = event, let plan = node.configuration.ipam {
      let node = self.node
      stateWriter.async { node.applyClaim(claim, plan: plan) }
    }
    switch event {
    case .handshakeStarted: logger.debug("\(event)")
    default: logger.info("\(event)")
    }
    events.yield(event)
  }
}
