/// Chooses a peer socket's receive buffer from the size of the datagrams it carries.
///
/// What waits in a peer socket's receive buffer waits in front of every later datagram of the
/// peer's: a bulk TCP stream through the mesh fills whatever buffer its slowest step has until
/// it loses a datagram, and a ping or a keystroke behind that backlog waits milliseconds. A
/// small buffer bounds that wait, but a flood of small datagrams needs a deep one to ride out
/// the moments the data thread is not scheduled (the kernel counts each small datagram at
/// about a kilobyte). So the buffer follows the traffic: large datagrams (offloaded TCP
/// segments) get a small buffer, small ones a large buffer, with a moving average and a gap
/// between the two thresholds so that it changes seldom (one `setsockopt` when it does).
struct ReceiveBufferSizer {
  /// The buffer while the datagrams are large: about half a millisecond of decryption here.
  static let bulkBytes = 256 << 10
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
