import Dispatch
import Logging
import MeshIO
import MeshLogic
import MeshProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// The data thread of a `MeshNode`: it owns the engine, the TAP and the socket, and is the
/// only code that touches them once the node runs.
final class NodeLoop: @unchecked Sendable {
  /// Most packets taken from one source before the other gets a turn: the TAP frames read
  /// into separate buffers whose datagrams leave in one `sendmmsg`, and the datagrams one
  /// `recvmmsg` takes from the socket.
  static let batch = 32
  /// The most datagrams the main socket (handshakes, new peers, strangers) may hand the
  /// thread per tick. Members have sockets of their own; past this budget the main socket
  /// is not read until the next tick, and a flood at the mesh port piles up (and is dropped)
  /// in the kernel instead of taking the members' CPU. 2048 per 100 ms is about 20,000
  /// handshake messages a second, far above what a mesh needs.
  static let strangerBudget = 2048

  var engine: MeshEngine
  let tap: TapDevice
  let socket: UDPSocket
  let clock: SystemClock
  unowned let node: MeshNode
  let logger: Logger
  let poller: Poller
  let notifier: EventNotifier
  /// A receive queue per established peer, apart from the main socket's.
  let peerSockets: PeerSockets
  /// What is left of this tick's `strangerBudget`.
  var strangerAllowance = NodeLoop.strangerBudget
  /// How many of the datagrams read against this tick's budget the engine dropped.
  var strangerJunk = 0
  /// Whether the main socket is out of the poller because the budget ran out.
  var strangersPaused = false
  /// `batch` read buffers of `MeshEngine.bufferSize` bytes for TAP frames, back to back.
  let tapSlots: UnsafeMutableRawBufferPointer
  /// Where `recvmmsg` puts datagrams.
  let received: UDPMessageBatch
  /// How long the thread keeps polling without sleeping after it last had work, in
  /// nanoseconds; 0 sleeps at once.
  let busyPollNanoseconds: Int64
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
    self.peerSockets = PeerSockets(listen: socket.localEndpoint, poller: poller, logger: logger)
    self.tapSlots = .allocate(byteCount: NodeLoop.batch * MeshEngine.bufferSize, alignment: 16)
    self.received = UDPMessageBatch(capacity: NodeLoop.batch, bufferSize: MeshEngine.bufferSize)
    self.busyPollNanoseconds = Int64(node.configuration.busyPollMicroseconds) * 1000
    self.output = NodeOutput(
      tap: tap, node: node, stateWriter: stateWriter, socket: socket,
      queue: UDPSendQueue(capacity: NodeLoop.batch), events: node.eventSink, logger: logger)
    try poller.add(fd: tap.fd, token: Token.tap.rawValue)
    try poller.add(fd: socket.fd, token: Token.socket.rawValue)
    try poller.add(fd: notifier.fd, token: Token.wake.rawValue)
  }

  deinit {
    tapSlots.deallocate()
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
    var ready = [ReadyEvent](repeating: ReadyEvent(), count: 32)
    var nextTick = clock.now()
    var lastWork = clock.now()
    while running {
      let now = clock.now()
      let wait: Int
      if Int64(truncatingIfNeeded: now.nanoseconds &- lastWork.nanoseconds) < busyPollNanoseconds {
        wait = 0  // busy-polling: the next packet is likely close, and a sleep costs a wake-up
      } else {
        // Rounded up: a wait rounded down to 0 ms would spin until the tick is due.
        wait =
          nextTick > now ? Int((nextTick.nanoseconds - now.nanoseconds + 999_999) / 1_000_000) : 0
      }
      let n: Int
      do {
        n = try poller.wait(timeoutMilliseconds: Int32(clamping: max(wait, 0)), into: &ready)
      } catch {
        logger.error("poll failed: \(error)")
        break
      }
      var strangers = false
      var commands = false
      for i in 0..<n {
        switch Token(rawValue: ready[i].token) {
        case .tap: drainTap()
        case .socket: strangers = true
        case .wake: commands = true
        case nil:
          if let peer = peerSockets.socket(forToken: ready[i].token) { drainSocket(peer) }
        }
      }
      // Strangers last, within their budget.
      if strangers { drainStrangers() }
      if commands { runCommands() }
      let after = clock.now()
      if n > 0 { lastWork = after }
      if after >= nextTick {
        engine.tick(now: after, out: &output)
        output.flush()
        nextTick = after.adding(seconds: MeshEngine.tickInterval)
        saveKnownPeersIfChanged()
        output.peersChanged = true
        refillStrangerBudget()
      }
      if output.peersChanged {
        output.peersChanged = false
        peerSockets.reconcile(with: engine)
      }
    }
    peerSockets.closeAll()
    tap.close()
    socket.close()
  }

  /// Reads the main socket within what is left of the tick's budget. When the budget runs
  /// out and at least half of what it bought was junk (datagrams the engine dropped), takes
  /// the socket out of the poller until the next tick; when the traffic was mostly good (a
  /// mesh with more peers than sockets of their own, a wave of handshakes), renews it.
  func drainStrangers() {
    let before = engine.drops.total
    strangerAllowance -= drainSocket(socket, limit: min(NodeLoop.batch, strangerAllowance))
    strangerJunk += Int(truncatingIfNeeded: engine.drops.total &- before)
    guard strangerAllowance <= 0, !strangersPaused else { return }
    if strangerJunk * 2 < NodeLoop.strangerBudget {
      strangerAllowance = NodeLoop.strangerBudget
      strangerJunk = 0
      return
    }
    do {
      try poller.modify(fd: socket.fd, token: Token.socket.rawValue, events: [])
      strangersPaused = true
      logger.debug("stranger budget spent on junk: the mesh port waits for the next tick")
    } catch {
      logger.warning("cannot pause the mesh port: \(error)")
    }
  }

  func refillStrangerBudget() {
    strangerAllowance = NodeLoop.strangerBudget
    strangerJunk = 0
    guard strangersPaused else { return }
    do {
      try poller.modify(fd: socket.fd, token: Token.socket.rawValue, events: .read)
      strangersPaused = false
    } catch {
      logger.warning("cannot resume the mesh port: \(error)")
    }
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

  /// Reads up to `batch` frames, each into its own slot, and lets the engine seal them in
  /// place; their datagrams queue up and leave together in one `sendmmsg`. Returns how many
  /// frames it read.
  @discardableResult
  func drainTap() -> Int {
    // With offloads, the TAP puts its virtio-net header right before the frame.
    let header = tap.hasVirtioHeader ? VirtioNetHeader.size : 0
    let size = MeshEngine.bufferSize
    output.queueRegion = UnsafeRawBufferPointer(tapSlots)
    defer {
      output.flush()
      output.queueRegion = nil
    }
    var frames = 0
    for slot in 0..<NodeLoop.batch {
      let buffer = UnsafeMutableRawBufferPointer(
        rebasing: tapSlots[(slot * size)..<((slot + 1) * size)])
      let room = UnsafeMutableRawBufferPointer(
        rebasing: buffer[(MeshEngine.framePrefix - header)..<(size - MeshEngine.frameSuffix)])
      let n: Int
      do {
        guard let got = try tap.read(into: room) else { return frames }
        n = got - header
      } catch {
        logger.warning("TAP read failed: \(error)")
        return frames
      }
      frames += 1
      guard n > 0 else { continue }
      let offload = header == 0 ? nil : VirtioNetHeader.read(UnsafeRawBufferPointer(room))
      engine.sendFrame(buffer, frameLength: n, offload: offload, now: clock.now(), out: &output)
    }
    return frames
  }

  /// Takes one `recvmmsg` batch of datagrams from `socket` and hands each to the engine,
  /// then lets the engine answer the handshakes they queued. Returns how many it took.
  @discardableResult
  func drainSocket(_ socket: UDPSocket, limit: Int = NodeLoop.batch) -> Int {
    let count: Int
    do {
      guard let got = try socket.receiveBatch(into: received, limit: limit) else { return 0 }
      count = got
    } catch {
      // A connected socket reports ICMP errors (ECONNREFUSED) here; reading clears them.
      logger.debug("socket receive failed: \(error)")
      return 0
    }
    for i in 0..<count {
      let buffer = received.buffer(at: i)
      let length = received.length(at: i)
      let from = received.endpoint(at: i)
      // With UDP_GRO, one buffer may hold several datagrams of `segment` bytes (the last
      // may be shorter); each is decrypted in place where it lies.
      let segment = received.segmentSize(at: i)
      let step = segment > 0 ? segment : max(length, 1)
      var start = 0
      while start < length {
        let end = min(start + step, length)
        let datagram = UnsafeMutableRawBufferPointer(rebasing: buffer[start..<end])
        engine.receive(datagram, from: from, now: clock.now(), out: &output)
        start = end
      }
      if length == 0 {
        engine.receive(
          UnsafeMutableRawBufferPointer(rebasing: buffer[0..<0]), from: from, now: clock.now(),
          out: &output)
      }
    }
    engine.processHandshakes(now: clock.now(), out: &output)
    output.flushCoalesced()
    return count
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
    output.flush()
    output.flushCoalesced()
  }
}
