import MeshProtocol
import MeshTypes

/// Passing frames on for others: a flood to this host's children in the origin's broadcast
/// tree, and a frame for another member to the next hop on its route (copied, or sealed again
/// where it was received).
extension MeshEngine {
  /// Sends a copy of a frame to each of this host's children in `origin`'s broadcast tree,
  /// so that every host gets exactly one copy.
  mutating func forwardFlood(
    _ frame: UnsafeRawBufferPointer, offload: VirtioNetHeader?, origin: PeerID, hopLimit: UInt8,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard hopLimit > 1 else { return drops.count(.hopLimit) }
    let relay = RelayHeader(origin: origin, destination: RelayHeader.flood, hopLimit: hopLimit - 1)
    var sent = false
    for child in floodTargets(origin: origin) {
      guard let p = peers.index(forKey: child), peers.values[p].current != nil else { continue }
      let s = scratch.bytes
      UnsafeMutableRawBufferPointer(rebasing: s[MeshEngine.framePrefix...]).copyMemory(
        from: frame)
      sendEncapsulated(
        s, frameStart: MeshEngine.framePrefix, frameLength: frame.count, offload: offload,
        relay: relay, toPeerAt: p, now: now, out: &out)
      sent = true
    }
    if !sent, origin == id { drops.count(.noSession) }
  }

  /// Passes a unicast frame one hop towards `relay.destination`.
  mutating func forward(
    _ frame: UnsafeRawBufferPointer, offload: VirtioNetHeader?, relay: RelayHeader,
    now: MeshInstant, out: inout some EngineOutput
  ) {
    guard relay.hopLimit > 1 || relay.origin == id else { return drops.count(.hopLimit) }
    guard let hop = nextHop(to: relay.destination), let p = peers.index(forKey: hop),
      peers.values[p].current != nil
    else { return drops.count(.noRoute) }
    var next = relay
    if relay.origin != id { next.hopLimit -= 1 }
    let s = scratch.bytes
    UnsafeMutableRawBufferPointer(rebasing: s[MeshEngine.framePrefix...]).copyMemory(from: frame)
    sendEncapsulated(
      s, frameStart: MeshEngine.framePrefix, frameLength: frame.count, offload: offload,
      relay: next, toPeerAt: p, now: now, out: &out)
  }

  /// `forward` for a frame received from another host that lies at `range` in `plaintext`,
  /// a decrypted datagram with a transport header's room before it and a tag's after it (see
  /// `dispatchInner`). The headers of the next hop's message are as long as those it came
  /// with, so it is sealed in that buffer, with no copy, and handed to the output as
  /// `sendInPlace`: a batch of relayed datagrams can leave in one system call like frames
  /// from the TAP, and an offloaded frame stays one message across the hop.
  mutating func forwardInPlace(
    _ plaintext: UnsafeMutableRawBufferPointer, _ range: Range<Int>, offload: VirtioNetHeader?,
    relay: RelayHeader, now: MeshInstant, out: inout some EngineOutput
  ) {
    let headroom = TransportHeader.size
    let frameStart = headroom + range.lowerBound
    // The relay header counts the kind byte.
    let needed =
      TransportHeader.size + RelayHeader.size + (offload == nil ? 0 : VirtioNetHeader.size)
    guard relay.origin != id, frameStart >= needed, let base = plaintext.baseAddress else {
      return forward(
        UnsafeRawBufferPointer(rebasing: plaintext[range]), offload: offload, relay: relay,
        now: now, out: &out)
    }
    guard relay.hopLimit > 1 else { return drops.count(.hopLimit) }
    guard let hop = nextHop(to: relay.destination), let p = peers.index(forKey: hop),
      peers.values[p].current != nil
    else { return drops.count(.noRoute) }
    var next = relay
    next.hopLimit -= 1
    let buffer = UnsafeMutableRawBufferPointer(
      start: base - headroom, count: headroom + range.upperBound + ChaChaPoly.tagLength)
    sendEncapsulated(
      buffer, frameStart: frameStart, frameLength: range.count, offload: offload, relay: next,
      toPeerAt: p, inPlace: true, now: now, out: &out)
  }
}
