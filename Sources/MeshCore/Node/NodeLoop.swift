import Logging
import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes

/// The data thread of a `MeshNode`: it owns the engine, the TAP and the sockets, and is the
/// only code that touches them once the node runs.
///
/// It is built from a `NodeLoopSetup` and knows nothing of the node: commands come through
/// its `NodeMailbox`, and what it has to tell goes out through the setup's `NodeReports`.
/// Its devices are generic parameters, so that unit tests run the real loop on in-memory
/// devices and a fake clock, one ``step(timeoutMilliseconds:)`` at a time, while the daemon
/// runs it on the TAP and UDP sockets with no dynamic dispatch on the per-packet path.
final class NodeLoop<Tunnel: TunnelDevice, Sockets: DatagramSocketFactory, Clock: MeshClock>:
  @unchecked Sendable
{
  typealias Socket = Sockets.Socket

  /// Most packets taken from one source before the other gets a turn: the TAP frames read
  /// into separate buffers whose datagrams leave in one `sendmmsg`, and the datagrams one
  /// `recvmmsg` takes from the socket.
  static var batch: Int { 32 }
  /// The bytes of backlog one TAP step seals (at least one frame): the thread seals a whole
  /// step before it serves anything else, so a small packet that arrives meanwhile waits for
  /// it. 32 offloaded frames of 64 KiB were 2 MiB, several milliseconds of sealing; a step now
  /// stops once 64 KiB are sealed, which is two offloaded frames (about 63 KiB each) or the
  /// 32 full-size ones `batch` allows when frames are not offloaded.
  static var batchBytes: Int { 64 << 10 }
  /// The bytes of datagrams one receive batch aims at, by the last batch's average size.
  static var receiveBatchBytes: Int { 256 << 10 }
  /// Sparse flows' frames of at most this many bytes in all leave in a send of their own,
  /// ahead of the bulk sealed after them.
  static var smallSparseBytes: Int { 4 << 10 }
  /// How many TAP frames the thread may hold read but not sealed: enough for the backlog a
  /// bulk stream keeps in front of it (its window beyond what the path holds, a few offloaded
  /// frames here), so that what is read after it is seen, and can go first, at once.
  static var tapSlotCount: Int { 64 }
  /// The most datagrams the main socket (handshakes, new peers, strangers) may hand the
  /// thread per tick. Members have sockets of their own; past this budget the main socket
  /// is not read until the next tick, and a flood at the mesh port piles up (and is dropped)
  /// in the kernel instead of taking the members' CPU. 2048 per 100 ms is about 20,000
  /// handshake messages a second, far above what a mesh needs.
  static var strangerBudget: Int { 2048 }

  enum Token: Int {
    case tap = 1
    case socket = 2
    case wake = 3
    case links = 4
  }

  var engine: MeshEngine
  /// The TAP; replaced when it was lost and recreated.
  var tap: Tunnel
  let socket: Socket
  let clock: Clock
  let mailbox: NodeMailbox
  let reports: NodeReports
  let logger: Logger
  let poller: Poller
  /// A receive queue per established peer, apart from the main socket's.
  let peerSockets: PeerSockets<Sockets>
  /// What is left of this tick's `strangerBudget`.
  var strangerAllowance = NodeLoop.strangerBudget
  /// How many of the datagrams read against this tick's budget the engine dropped.
  var strangerJunk = 0
  /// Whether the main socket is out of the poller because the budget ran out.
  var strangersPaused = false
  /// `tapSlotCount` read buffers of `MeshEngine.bufferSize` bytes for TAP frames, back to
  /// back.
  let tapSlots: UnsafeMutableRawBufferPointer
  /// Which TAP slots hold frames read but not sealed yet, and in which order they go.
  var backlog = TapBacklog(slots: NodeLoop.tapSlotCount)
  /// False while the TAP failed and is out of the poller: the backlog is sealed, but the TAP
  /// is not read until it is recreated.
  var tapReadable = true
  /// Where `recvmmsg` puts datagrams.
  let received: UDPMessageBatch
  /// How long the thread keeps polling without sleeping after it last had work, in
  /// nanoseconds; 0 sleeps at once.
  let busyPollNanoseconds: Int64
  var output: NodeOutput<Tunnel, Socket>
  /// False once a `stop` command was served.
  private(set) var running = true
  /// The average size of the datagrams of the last receive batch, which sizes the next one
  /// (see `receiveBatchBytes`).
  var lastDatagramSize = 1500
  /// The engine's endpoints version last reported as known peers.
  var savedEndpointsVersion: UInt64 = 0
  /// The engine's names generation last reported (see `reportNamesIfChanged`).
  var reportedNamesGeneration: UInt64?
  /// When the engine's timers run next.
  var nextTick: MeshInstant
  /// When the thread last had work (for busy polling).
  var lastWork: MeshInstant
  /// Where the poller reports ready descriptors.
  var ready = [ReadyEvent](repeating: ReadyEvent(), count: 32)
  /// What happens when the TAP or the bridge changes under the loop.
  var watch: DeviceWatch
  /// Link notifications, when the setup gave a watcher.
  let linkWatcher: LinkWatcher?
  /// Opens a replacement TAP (see `NodeLoopSetup.reopenTunnel`).
  let reopenTunnel: ((_ joinBridge: Bool) throws -> (Tunnel, Int32?))?
  /// Joins the TAP to the bridge again.
  let attachTunnel: () throws -> Void
  /// Looks the TAP and the bridge up again.
  let lookUpLinks: () -> (tap: Int32?, bridge: Int32?)
  /// The local MACs pinned for good besides the bridge's (the TAP's).
  let localMACs: Set<MACAddress>

  /// Takes over `engine` and the setup's devices; registers them with a new poller.
  init(engine: MeshEngine, setup: NodeLoopSetup<Tunnel, Sockets, Clock>) throws {
    self.engine = engine
    tap = setup.tunnel
    socket = setup.socket
    clock = setup.clock
    mailbox = setup.mailbox
    reports = setup.reports
    logger = setup.logger
    poller = try Poller()
    peerSockets = PeerSockets(
      factory: setup.peerSockets, listen: setup.socket.localEndpoint, poller: poller,
      logger: setup.logger)
    tapSlots = .allocate(
      byteCount: NodeLoop.tapSlotCount * MeshEngine.bufferSize, alignment: 16)
    received = UDPMessageBatch(capacity: NodeLoop.batch, bufferSize: MeshEngine.bufferSize)
    busyPollNanoseconds = setup.busyPollNanoseconds
    let queue = UDPSendQueue(capacity: NodeLoop.batch)
    queue.segmentation = setup.udpSegmentation
    queue.maxSegmentSize = setup.maxSegmentSize
    output = NodeOutput(
      tap: setup.tunnel, socket: setup.socket, queue: queue,
      coalescer: setup.coalesceUDP ? UDPCoalescer() : nil, reports: setup.reports,
      logger: setup.logger)
    nextTick = setup.clock.now()
    lastWork = nextTick
    let links = setup.links
    watch = DeviceWatch(
      tapName: links.tap, tapIndex: links.tapIndex, bridgeName: links.bridge,
      bridgeIndex: links.bridgeIndex)
    linkWatcher = setup.linkWatcher
    reopenTunnel = setup.reopenTunnel
    attachTunnel = setup.attachTunnel
    lookUpLinks = setup.lookUpLinks
    localMACs = setup.localMACs
    try poller.add(fd: tap.fd, token: Token.tap.rawValue)
    try poller.add(fd: socket.fd, token: Token.socket.rawValue)
    try poller.add(fd: mailbox.notifier.fd, token: Token.wake.rawValue)
    if let linkWatcher { try poller.add(fd: linkWatcher.fd, token: Token.links.rawValue) }
  }

  deinit {
    tapSlots.deallocate()
  }

  /// Steps until a `stop` command, then closes the devices.
  func run() {
    while running {
      guard step(timeoutMilliseconds: waitTime(now: clock.now())) else { break }
    }
    shutdown()
  }

  /// How long the poller may sleep at `now`: not at all while busy-polling, else until the
  /// next tick, rounded up (a wait rounded down to 0 ms would spin until the tick is due).
  func waitTime(now: MeshInstant) -> Int32 {
    // Frames read ahead wait for their turn: no sleeping until they are sealed.
    if !backlog.isEmpty { return 0 }
    if Int64(truncatingIfNeeded: now.nanoseconds &- lastWork.nanoseconds) < busyPollNanoseconds {
      return 0  // busy-polling: the next packet is likely close, and a sleep costs a wake-up
    }
    guard nextTick > now else { return 0 }
    return Int32(clamping: (nextTick.nanoseconds - now.nanoseconds + 999_999) / 1_000_000)
  }

  /// One turn of the thread: waits up to `timeoutMilliseconds` for ready devices, serves
  /// them (peers first, strangers last, then commands), runs the engine's timers when a tick
  /// is due, and brings the peer sockets in line. Returns false when the poller failed.
  @discardableResult
  func step(timeoutMilliseconds: Int32) -> Bool {
    let n: Int
    do {
      n = try poller.wait(timeoutMilliseconds: timeoutMilliseconds, into: &ready)
    } catch {
      logger.error("poll failed: \(error)")
      return false
    }
    var strangers = false
    var commands = false
    var tap = false
    var bulk = 0
    // Cheap batches first: sockets of small datagrams (replies, acknowledgements), then the
    // TAP, then sockets of bulk datagrams, whose batches take longest to open.
    for i in 0..<n {
      let token = ready[i].token
      switch Token(rawValue: token) {
      case .tap: tap = true
      case .socket: strangers = true
      case .wake: commands = true
      case .links: drainLinkEvents()
      case nil:
        if peerSockets.carriesBulk(token: token) {
          ready.swapAt(bulk, i)
          bulk += 1
        } else {
          drainPeer(token: token)
        }
      }
    }
    // The backlog gets a turn in every step; the TAP is read only when it is readable.
    if tap || !backlog.isEmpty { drainTap(read: tap) }
    for i in 0..<bulk { drainPeer(token: ready[i].token) }
    // Strangers last, within their budget.
    if strangers { drainStrangers() }
    if commands { serve(mailbox.take()) }
    let after = clock.now()
    if n > 0 { lastWork = after }
    if after >= nextTick {
      engine.tick(now: after, out: &output)
      output.flush()
      watchDevices(now: after)
      nextTick = after.adding(seconds: MeshEngine.tickInterval)
      reportKnownPeersIfChanged()
      reportNamesIfChanged()
      output.peersChanged = true
      refillStrangerBudget()
    }
    if output.peersChanged {
      output.peersChanged = false
      peerSockets.reconcile(with: engine)
    }
    return true
  }

  /// Takes a batch from the peer socket behind `token`, and lets its buffer follow the sizes.
  func drainPeer(token: Int) {
    if let peer = peerSockets.socket(forToken: token), drainSocket(peer) > 0 {
      peerSockets.noteBatch(token: token, averageDatagram: lastDatagramSize)
    }
  }

  /// Closes the mailbox (answering what is still in it) and every device.
  func shutdown() {
    serve(mailbox.close())
    peerSockets.closeAll()
    tap.close()
    socket.close()
    linkWatcher?.close()
  }

  /// Reports the known peers when they changed; the data thread never waits for the disk.
  func reportKnownPeersIfChanged() {
    guard engine.endpointsVersion != savedEndpointsVersion else { return }
    savedEndpointsVersion = engine.endpointsVersion
    reports.knownPeersChanged(engine.knownPeers)
  }

  /// Carries out `commands`, then lets the engine act on them at once.
  func serve(_ commands: [NodeCommand]) {
    guard !commands.isEmpty else { return }
    let now = clock.now()
    for c in commands {
      switch c {
      case .connect(let ep): engine.connect(ep, now: now)
      case .reload(let secrets, let allowed):
        engine.setClusterSecrets(secrets)
        engine.setAllowedKeys(allowed)
      case .forget(let ep, let reply): reply(engine.forget(ep))
      case .connectHost(let host, let endpoints):
        engine.connect(host, resolvedTo: endpoints, now: now)
      case .resolved(let host, let endpoints): engine.resolved(host, to: endpoints, now: now)
      case .forgetHost(let host, let endpoints, let reply):
        reply(engine.forget(host, resolvedTo: endpoints))
      case .release(let peer, let key, let reply):
        reply(engine.release(peer, now: now, operatorKey: key))
      case .status(let reply):
        var s = engine.status(now: now)
        s.drops = engine.drops.adding(output.drops)
        s.bridgeState = watch.bridgeState
        s.tapState = watch.tapState
        reply(s)
      case .setNames(let names): engine.setLocalNames(names)
      case .stop: running = false
      }
    }
    engine.tick(now: now, out: &output)
    output.flush()
    output.flushCoalesced()
    // A forget or a new allow-list may have dropped peers.
    output.peersChanged = true
    reportKnownPeersIfChanged()
    reportNamesIfChanged()
  }

  /// Reports the names the mesh serves when the topology changed since the last report (a
  /// control-plane event, never per packet); the data thread only hands them over.
  func reportNamesIfChanged() {
    guard let report = reports.namesChanged,
      engine.namesGeneration != reportedNamesGeneration
    else { return }
    reportedNamesGeneration = engine.namesGeneration
    let (entries, refused) = engine.meshNames()
    report(entries, refused)
  }
}
