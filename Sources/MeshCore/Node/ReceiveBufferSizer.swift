/// Chooses a peer socket's receive buffer from the size of the datagrams it carries.
///
/// What waits in a peer socket's receive buffer waits in front of every later datagram of the
/// peer's: a bulk TCP stream through the mesh fills whatever buffer its slowest step has until
/// it loses a datagram, and a ping or a keystroke behind that backlog waits. The sending side
/// now keeps a bulk stream's backlog in its own TAP slots, where small flows overtake it (see
/// `TapBacklog`), so what reaches this buffer comes in bursts, not as a standing queue, and
/// the buffer must absorb those: an offloaded frame is one datagram of up to 64 KiB that the
/// kernel counts at about half as much again, and every datagram lost to a full buffer is a
/// lost window of TCP segments. So large datagrams get 1 MiB, bounding what can wait here if
/// this side is ever the slower, and small ones 2 MiB, because a flood of small datagrams
/// needs the depth to ride out the moments the data thread is not scheduled (the kernel
/// counts each at about a kilobyte). A moving average with a gap between the two thresholds
/// changes it seldom (one `setsockopt` when it does).
struct ReceiveBufferSizer {
  /// The buffer while the datagrams are large: a few offloaded frames' worth.
  static let bulkBytes = 1 << 20
  /// The buffer while they are small, and at first.
  static let packetBytes = 2 << 20
  /// An average at or above this many bytes per datagram is bulk traffic.
  static let bulkFrom = 16 << 10
  /// An average at or below this many bytes per datagram is small-packet traffic.
  static let packetsUpTo = 4 << 10

  /// The moving average of the batches' average datagram size, in bytes.
  private(set) var average = 1500
  /// The buffer size chosen last.
  private(set) var bytes = ReceiveBufferSizer.packetBytes

  /// Whether the datagrams are large (the bulk buffer is chosen).
  var carriesBulk: Bool { bytes == ReceiveBufferSizer.bulkBytes }

  /// Notes one receive batch's average datagram size; returns the new buffer size when it
  /// should change, nil when it stays.
  mutating func note(averageDatagram: Int) -> Int? {
    average = (average * 7 + max(averageDatagram, 0)) / 8
    let wanted =
      average >= ReceiveBufferSizer.bulkFrom
      ? ReceiveBufferSizer.bulkBytes
      : average <= ReceiveBufferSizer.packetsUpTo ? ReceiveBufferSizer.packetBytes : bytes
    guard wanted != bytes else { return nil }
    bytes = wanted
    return wanted
  }
}
