import Logging
import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes

/// Carries out the engine's decisions on the loop's devices: sends, TAP writes, events.
///
/// Datagrams either leave at once or wait in ``queue`` for one `sendmmsg`. The engine says which
/// datagrams were sealed in place in the buffer its caller handed it (`sendInPlace`), and the
/// loop says, with ``mode``, whether that buffer stays untouched until ``flush()``: while it
/// switches the frames of a TAP batch (each in a read slot of its own), or hands the engine a
/// batch of received datagrams (whose relayed frames are sealed again in the receive buffers),
/// it is ``SendMode/batching``.
struct NodeOutput<Tunnel: TunnelDevice, Socket: DatagramSocket>: EngineOutput {
  /// Whether a datagram may wait for the batch's `sendmmsg`.
  enum SendMode {
    /// Everything leaves at once: its memory (a receive buffer, the engine's scratch space)
    /// is reused by the next call.
    case immediate
    /// The engine is switching a frame read into a TAP read slot, or a received datagram, in
    /// a buffer that stays untouched until ``flush()``: the datagram it seals in place there
    /// (`sendInPlace`) waits in the queue. Copies it makes elsewhere (floods, keepalives in
    /// its scratch space) still leave at once.
    case batching
  }

  /// The TAP; the loop replaces it when it recreates a lost one.
  var tap: Tunnel
  let socket: Socket
  /// Datagrams sealed in place in TAP read slots, waiting for one `sendmmsg`.
  let queue: UDPSendQueue
  let reports: NodeReports
  let logger: Logger
  /// Set by the loop around each frame it switches.
  var mode = SendMode.immediate
  /// Drops that happen here rather than in the engine (TAP down, send errors).
  var drops = DropCounters()
  /// Limits the log lines of repeated I/O errors (the loop's as well as these).
  var errors = RepeatedErrorLog()
  /// Set when a peer came, went or moved, so that the loop brings its sockets in line.
  var peersChanged = false
  /// Merges runs of one UDP flow among delivered frames into one TAP write; nil when the
  /// TAP has no virtio-net header or the kernel takes no UDP segmentation frames.
  var coalescer: UDPCoalescer?

  /// An output onto `tap` and `socket`, queueing into `queue`.
  init(
    tap: Tunnel, socket: Socket, queue: UDPSendQueue, coalescer: UDPCoalescer?,
    reports: NodeReports, logger: Logger
  ) {
    // The virtio-net header is written into the headroom the engine leaves before a frame.
    precondition(MeshEngine.deliveryHeadroom >= VirtioNetHeader.size)
    self.tap = tap
    self.socket = socket
    self.queue = queue
    self.coalescer = coalescer
    self.reports = reports
    self.logger = logger
  }

  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    do {
      try socket.send(datagram, to: endpoint)
    } catch {
      drops.count(.sendFailed)
      if let line = errors.note(.socketSend, "socket send failed: \(error)") {
        logger.notice("\(line)")
      }
    }
  }

  mutating func sendLimited(
    _ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint, hopLimit: UInt8
  ) {
    try? socket.send(datagram, to: endpoint, hopLimit: hopLimit)
  }

  mutating func sendInPlace(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    guard case .batching = mode else { return send(datagram, to: endpoint) }
    if queue.isFull { flush() }
    queue.append(datagram, to: endpoint)
  }

  /// Sends the queued datagrams; those the socket refused count as failed sends.
  mutating func flush() {
    guard queue.count > 0 else { return }
    let unsent = socket.send(queue)
    guard unsent > 0 else { return }
    for _ in 0..<unsent { drops.count(.sendFailed) }
    if let line = errors.note(.socketSend, "socket send failed: \(unsent) datagrams refused") {
      logger.notice("\(line)")
    }
  }

  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {
    if let coalescer, UDPCoalescer.accepts(offload) {
      let bytes = UnsafeRawBufferPointer(frame)
      if coalescer.append(bytes) { return }
      flushCoalesced()
      if coalescer.append(bytes) { return }
    } else {
      flushCoalesced()
    }
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
      tapWriteFailed(error)
    }
  }

  /// Counts a frame the TAP refused, and logs the first of a minute.
  mutating func tapWriteFailed(_ error: any Error) {
    drops.count(.tapWrite)
    if let line = errors.note(.tapWrite, "TAP write failed: \(error)") {
      logger.notice("\(line)")
    }
  }

  /// Writes the run of UDP frames the coalescer holds: one merged frame, or the frames one
  /// by one if the kernel refuses merged ones (then merging stops for good).
  mutating func flushCoalesced() {
    guard let coalescer, coalescer.count > 0 else { return }
    let merged = coalescer.count > 1
    do {
      try tap.write(coalescer.finish())
    } catch TapError.system(let e) where merged && e.isInvalidArgument {
      logger.warning("the TAP refuses merged UDP frames; writing them one by one from now on")
      self.coalescer = nil
      var failed = 0
      coalescer.unmerge { frame in
        do { try tap.write(frame) } catch { failed += 1 }
      }
      for _ in 0..<failed { drops.count(.tapWrite) }
    } catch {
      tapWriteFailed(error)
    }
  }

  mutating func event(_ event: MeshEvent) {
    switch event {
    case .peerUp, .peerDown, .endpointChanged: peersChanged = true
    case .subnetClaimed(let claim): reports.subnetClaimed(claim)
    default: break
    }
    switch event {
    case .handshakeStarted: logger.debug("\(event)")
    case _ where event.isWarning: logger.warning("\(event)")
    default: logger.info("\(event)")
    }
    reports.event(event)
  }
}
