import MeshLogic
import MeshProtocol

/// Reading the devices: TAP frames in batches, datagrams in `recvmmsg` batches, and the main
/// socket within the strangers' budget.
extension NodeLoop {
  /// Reads the TAP ahead into free slots, then seals at most one batch (`batch` frames,
  /// about `batchBytes`): first the frames just read of flows with nothing waiting, then the
  /// backlog, oldest first (see `TapBacklog`). The sealed datagrams leave together in one
  /// `sendmmsg`, small sparse frames in one of their own first. With `read` false (the TAP
  /// was not readable) it only seals. Returns how many frames it sealed.
  @discardableResult
  func drainTap(read: Bool = true) -> Int {
    // With offloads, the TAP puts its virtio-net header right before the frame.
    let header = tap.hasVirtioHeader ? VirtioNetHeader.size : 0
    defer {
      output.flush()
      backlog.sent()
    }
    var sealed = 0
    var bytes = 0
    while read, tapReadable, let slot = backlog.takeFreeSlot() {
      let buffer = tapSlot(slot)
      let room = UnsafeMutableRawBufferPointer(
        rebasing: buffer[
          (MeshEngine.framePrefix - header)..<(MeshEngine.bufferSize - MeshEngine.frameSuffix)])
      let n: Int
      do {
        guard let got = try tap.read(into: room) else {
          backlog.giveBack(slot)
          break
        }
        n = got - header
      } catch {
        // A TAP whose link was deleted fails every read at once (EBADFD) and stays readable:
        // it leaves the poller and is recreated, instead of spinning here.
        backlog.giveBack(slot)
        tapFailed(error)
        break
      }
      guard n > 0 else {
        backlog.giveBack(slot)
        continue
      }
      let offload = header == 0 ? nil : VirtioNetHeader.read(UnsafeRawBufferPointer(room))
      let frameBytes = UnsafeRawBufferPointer(
        rebasing: buffer[MeshEngine.framePrefix..<(MeshEngine.framePrefix + n)])
      let frame = TapBacklog.Frame(
        slot: slot, length: n, offload: offload, flow: FrameFlow.key(of: frameBytes))
      backlog.add(frame)
    }
    // Sparse flows' frames first, whatever their bytes; when they are small (a ping, a
    // keystroke) and a large frame is next, they leave at once, before it is sealed.
    while sealed < NodeLoop.batch, backlog.sparseCount > 0, let frame = backlog.popFirst() {
      seal(frame)
      sealed += 1
      bytes += frame.length
    }
    if sealed > 0, bytes <= NodeLoop.smallSparseBytes,
      let next = backlog.nextLength, next > NodeLoop.smallSparseBytes
    {
      output.flush()
    }
    // Then the bulk, within the batch.
    while sealed < NodeLoop.batch, bytes < NodeLoop.batchBytes, let frame = backlog.popFirst() {
      seal(frame)
      sealed += 1
      bytes += frame.length
    }
    return sealed
  }

  /// Read slot `slot`: `MeshEngine.bufferSize` bytes, the frame at `framePrefix`.
  func tapSlot(_ slot: Int) -> UnsafeMutableRawBufferPointer {
    let size = MeshEngine.bufferSize
    return UnsafeMutableRawBufferPointer(rebasing: tapSlots[(slot * size)..<((slot + 1) * size)])
  }

  /// Lets the engine seal `frame` in place in its slot; the datagrams wait for the flush, and
  /// the slot until they are sent.
  func seal(_ frame: TapBacklog.Frame) {
    // The slot stays untouched until the flush: what the engine seals in place there may wait
    // for the batch's sendmmsg.
    output.mode = .batching
    engine.sendFrame(
      tapSlot(frame.slot), frameLength: frame.length, offload: frame.offload, now: clock.now(),
      out: &output)
    output.mode = .immediate
    backlog.sealedInPlace(frame.slot)
  }

  /// Takes one `recvmmsg` batch of datagrams from `socket` and hands each to the engine,
  /// then lets the engine answer the handshakes they queued. Returns how many it took.
  /// Frames the engine relays are sealed again where they lie in the receive buffers, which
  /// stay untouched until the batch's datagrams leave together at the end.
  @discardableResult
  func drainSocket(_ socket: Socket, limit: Int = NodeLoop.batch) -> Int {
    let count: Int
    do {
      // About `batchBytes` of datagrams, as many as the last batch's average size suggests.
      let wanted = max(1, min(limit, NodeLoop.receiveBatchBytes / max(lastDatagramSize, 1)))
      guard let got = try socket.receiveBatch(into: received, limit: wanted) else { return 0 }
      count = got
    } catch {
      // A connected socket reports ICMP errors (ECONNREFUSED) here; reading clears them.
      if let line = output.errors.note(.socketReceive, "socket receive failed: \(error)") {
        logger.debug("\(line)")
      }
      return 0
    }
    var total = 0
    defer { lastDatagramSize = count > 0 ? total / count : lastDatagramSize }
    output.mode = .batching
    for i in 0..<count {
      let buffer = received.buffer(at: i)
      let length = received.length(at: i)
      total += length
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
    output.mode = .immediate
    output.flush()
    engine.processHandshakes(now: clock.now(), out: &output)
    output.flushCoalesced()
    return count
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

  /// Gives the main socket a new tick's budget, and its place in the poller back.
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
}
