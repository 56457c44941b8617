import MeshIO
import MeshLogic
import MeshTypes

/// Keeping the devices: the TAP recreated when it is lost, joined to the bridge again when the
/// bridge comes back, as the loop's `DeviceWatch` decides; and the summaries of repeated I/O
/// errors.
extension NodeLoop {
  /// A TAP read failed: the TAP leaves the poller (a deleted TAP's descriptor stays readable
  /// and fails every read) and is recreated.
  func tapFailed(_ error: any Error) {
    let now = clock.now()
    try? poller.remove(fd: tap.fd)
    tapReadable = false
    if watch.isFlapping(now: now),
      let line = output.errors.note(.tapRead, "TAP read failed: \(error)")
    {
      logger.warning("\(line)")
    }
    apply(watch.tapFailed(reason: "read: \(error)", now: now))
  }

  /// Takes the waiting link notifications and acts on those about the TAP and the bridge.
  func drainLinkEvents() {
    guard let linkWatcher else { return }
    let now = clock.now()
    do {
      for event in try linkWatcher.read() { apply(watch.handle(event, now: now)) }
    } catch let error where LinkWatcher.isOverrun(error) {
      // Notifications were lost: look the two links up instead.
      let (tapIndex, bridgeIndex) = lookUpLinks()
      apply(watch.resync(tapIndex: tapIndex, bridgeIndex: bridgeIndex, now: now))
    } catch let error as NetlinkParseError {
      // One bad message: the rest of the queue stays readable for the next wait.
      if let line = output.errors.note(.linkEvents, "link notification unreadable: \(error)") {
        logger.warning("\(line)")
      }
    } catch {
      // The socket itself fails: out of the poller, rather than failing on every wait.
      try? poller.remove(fd: linkWatcher.fd)
      logger.warning("link notifications failed, the TAP and bridge are not watched: \(error)")
    }
  }

  /// The timer turn's device work: a recreation that is due, and the error summaries.
  func watchDevices(now: MeshInstant) {
    apply(watch.tick(now: now))
    for (kind, line) in output.errors.summaries(now: now) {
      if kind == .socketReceive { logger.debug("\(line)") } else { logger.notice("\(line)") }
    }
  }

  /// Carries out the watch's decisions.
  func apply(_ actions: [DeviceWatch.Action]) {
    for action in actions {
      switch action {
      case .recreateTap(let joinBridge): recreateTap(joinBridge: joinBridge)
      case .attachTap(let line, let bridgeMAC):
        do {
          try attachTunnel()
          if let bridgeMAC { engine.pinLocalMACs(localMACs.union([bridgeMAC])) }
          logger.notice("\(line)")
          // A recreated bridge has no address: give it the claim's again (IPAM).
          if let claim = engine.localClaim { reports.subnetClaimed(claim) }
        } catch {
          logger.warning("bridge \(watch.bridgeName) is back, but the TAP cannot join it: \(error)")
        }
      case .notice(let line): logger.notice("\(line)")
      case .warning(let line): logger.warning("\(line)")
      }
    }
  }

  /// Closes the lost TAP and opens a new one in its place, back in the poller.
  func recreateTap(joinBridge: Bool) {
    let now = clock.now()
    try? poller.remove(fd: tap.fd)
    tap.close()
    tapReadable = false
    guard let reopenTunnel else {
      apply(watch.tapRecreationFailed("nothing can reopen it", now: now))
      return
    }
    do {
      let (fresh, index) = try reopenTunnel(joinBridge)
      do {
        try poller.add(fd: fresh.fd, token: Token.tap.rawValue)
      } catch {
        fresh.close()
        throw error
      }
      tap = fresh
      tapReadable = true
      output.tap = fresh
      apply(watch.tapRecreated(index: index, now: now))
    } catch {
      apply(watch.tapRecreationFailed("\(error)", now: now))
    }
  }
}
