import Dispatch
import Logging
import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// Carries out the engine's decisions on the real devices.
struct NodeOutput: EngineOutput {
  let tap: TapDevice
  unowned let node: MeshNode
  /// Where slow work prompted by events (files, netlink) runs, off the data thread.
  let stateWriter: DispatchQueue
  let socket: UDPSocket
  /// Datagrams sealed in place in `queueRegion`, waiting for one `sendmmsg`.
  let queue: UDPSendQueue
  let events: AsyncStream<MeshEvent>.Continuation
  let logger: Logger
  /// Drops that happen here rather than in the engine (TAP down, send errors).
  var drops = DropCounters()
  /// While set, datagrams that lie inside it are queued instead of sent at once: the TAP's
  /// read slots, which stay untouched until `flush()`. Anything else (the engine's scratch
  /// buffers) is sent at once, because its memory is reused by the next call.
  var queueRegion: UnsafeRawBufferPointer?
  /// Set when a peer came, went or moved, so that the loop brings its sockets in line.
  var peersChanged = false
  /// Merges runs of one UDP flow among delivered frames into one TAP write; nil when the
  /// TAP has no virtio-net header or the kernel takes no UDP segmentation frames.
  var coalescer: UDPCoalescer?

  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    if let region = queueRegion, let start = datagram.baseAddress, let base = region.baseAddress,
      start >= base, start + datagram.count <= base + region.count
    {
      if queue.isFull { flush() }
      queue.append(datagram, to: endpoint)
      return
    }
    do { try socket.send(datagram, to: endpoint) } catch { drops.count(.sendFailed) }
  }

  /// Sends the queued datagrams; those the socket refused count as failed sends.
  mutating func flush() {
    guard queue.count > 0 else { return }
    let unsent = queue.flush(on: socket)
    for _ in 0..<unsent { drops.count(.sendFailed) }
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
      drops.count(.tapWrite)
    }
  }

  /// Writes the run of UDP frames the coalescer holds: one merged frame, or the frames one
  /// by one if the kernel refuses merged ones (then merging stops for good).
  mutating func flushCoalesced() {
    guard let coalescer, coalescer.count > 0 else { return }
    let merged = coalescer.count > 1
    do {
      try tap.write(coalescer.finish())
    } catch TapError.system(let e) where merged && e.errno == EINVAL {
      logger.warning("the TAP refuses merged UDP frames; writing them one by one from now on")
      self.coalescer = nil
      var failed = 0
      coalescer.unmerge { frame in
        do { try tap.write(frame) } catch { failed += 1 }
      }
      for _ in 0..<failed { drops.count(.tapWrite) }
    } catch {
      drops.count(.tapWrite)
    }
  }

  mutating func event(_ event: MeshEvent) {
    switch event {
    case .peerUp, .peerDown, .endpointChanged: peersChanged = true
    default: break
    }
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
