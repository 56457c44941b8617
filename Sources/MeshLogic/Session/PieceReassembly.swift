import MeshProtocol
import MeshTypes

/// Puts messages that arrived in pieces (inner kind 7) back together, in a fixed number of
/// slots whose buffers are allocated once, on the first piece: no allocation per piece.
///
/// A slot holds one message of one peer, keyed by the peer and the message ID, with one bit per
/// piece received. A piece that disagrees with its slot (another length or cut) or arrives
/// twice is refused. A peer holds at most `slotsPerPeer` slots: a new message beyond that takes
/// the peer's own oldest one, so no peer can crowd the others out; otherwise a free slot, one
/// older than `maxAge`, or the oldest is taken. An incomplete message that loses its slot is
/// reported as evicted, for the caller to count.
public struct PieceReassembly {
  /// Messages being reassembled at once, over all peers.
  public static let slotCount = 16
  /// Messages one peer may have being reassembled at once.
  public static let slotsPerPeer = 4
  /// How long an incomplete message keeps its slot against newcomers, in seconds.
  public static let maxAge = 2.0
  /// Bytes kept free before each message, so that a frame in it can be delivered with the
  /// headroom `MeshEngine.deliveryHeadroom` promises.
  public static let headroom = 16
  /// The bytes of one slot's buffer.
  static let slotBytes = headroom + WireLimits.maxReassembled

  /// What became of a piece.
  public enum Outcome: Equatable, Sendable {
    /// Stored; the message waits for more. `evicted`: an incomplete message lost its slot.
    case pending(evicted: Bool)
    /// The message is whole, in slot `slot` (read it with `message(in:)`, then `release`).
    case complete(slot: Int, evicted: Bool)
    /// Refused: it disagrees with the message its slot holds, or arrived twice.
    case refused
  }

  /// One message in progress (free when `peer` is nil).
  struct Slot {
    var peer: PeerID?
    var messageID: UInt32 = 0
    var totalLength = 0
    var pieceLength = 0
    var pieceCount = 0
    var received = 0
    var mask = PieceMask()
    var started = MeshInstant(nanoseconds: 0)
  }

  /// One bit per piece, for up to `WireLimits.maxPieces`.
  struct PieceMask {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Sets bit `i`; false if it was set already.
    mutating func insert(_ i: Int) -> Bool {
      let bit = UInt64(1) << UInt64(i & 63)
      switch i >> 6 {
      case 0: if words.0 & bit != 0 { return false } else { words.0 |= bit }
      case 1: if words.1 & bit != 0 { return false } else { words.1 |= bit }
      case 2: if words.2 & bit != 0 { return false } else { words.2 |= bit }
      default: if words.3 & bit != 0 { return false } else { words.3 |= bit }
      }
      return true
    }
  }

  var slots = [Slot](repeating: Slot(), count: PieceReassembly.slotCount)
  var storage: ScratchBuffer?

  /// No messages in progress; the buffers come with the first piece.
  public init() {}

  /// Messages in progress.
  public var inProgress: Int { slots.count(where: { $0.peer != nil }) }

  /// Stores one piece from `peer`; `bytes` is exactly `header.length` long and `header` is
  /// valid (as `InnerMessage.parse` ensures).
  public mutating func add(
    _ header: PieceHeader, _ bytes: UnsafeRawBufferPointer, from peer: PeerID, now: MeshInstant
  ) -> Outcome {
    precondition(header.isValid && bytes.count == header.length)
    var evicted = false
    let s: Int
    if let found = slots.firstIndex(where: { $0.peer == peer && $0.messageID == header.messageID }
    ) {
      s = found
      guard slots[s].totalLength == header.totalLength,
        slots[s].pieceLength == header.pieceLength
      else { return .refused }
    } else {
      s = freeSlot(for: peer, now: now)
      evicted = slots[s].peer != nil
      slots[s] = Slot(
        peer: peer, messageID: header.messageID, totalLength: header.totalLength,
        pieceLength: header.pieceLength, pieceCount: header.pieceCount, started: now)
    }
    guard slots[s].mask.insert(header.index) else { return .refused }
    if storage == nil {
      storage = ScratchBuffer(count: PieceReassembly.slotCount * PieceReassembly.slotBytes)
    }
    let start = s * PieceReassembly.slotBytes + PieceReassembly.headroom + header.offset
    UnsafeMutableRawBufferPointer(rebasing: storage!.bytes[start..<(start + bytes.count)])
      .copyMemory(from: bytes)
    slots[s].received += 1
    if slots[s].received == slots[s].pieceCount { return .complete(slot: s, evicted: evicted) }
    return .pending(evicted: evicted)
  }

  /// The whole message in slot `slot`, after `add` returned `.complete`; the
  /// `headroom` bytes before it belong to the slot too. Valid until `release` or the next `add`.
  public func message(in slot: Int) -> UnsafeMutableRawBufferPointer {
    let start = slot * PieceReassembly.slotBytes + PieceReassembly.headroom
    return UnsafeMutableRawBufferPointer(
      rebasing: storage!.bytes[start..<(start + slots[slot].totalLength)])
  }

  /// Frees a slot whose message was taken.
  public mutating func release(_ slot: Int) {
    slots[slot] = Slot()
  }

  /// Forgets every message of `peer` (it went away).
  public mutating func forget(_ peer: PeerID) {
    for i in slots.indices where slots[i].peer == peer { slots[i] = Slot() }
  }

  /// The slot a new message of `peer` takes: the peer's oldest when it holds its share, else a
  /// free one, else one past `maxAge`, else the oldest.
  func freeSlot(for peer: PeerID, now: MeshInstant) -> Int {
    var held = 0
    var oldestHeld = 0
    var oldest = 0
    var free: Int?
    var stale: Int?
    for (i, slot) in slots.enumerated() {
      guard let owner = slot.peer else {
        if free == nil { free = i }
        continue
      }
      if owner == peer {
        if held == 0 || slot.started < slots[oldestHeld].started { oldestHeld = i }
        held += 1
      }
      if slots[oldest].peer == nil || slot.started < slots[oldest].started { oldest = i }
      if stale == nil, now.seconds(since: slot.started) >= PieceReassembly.maxAge { stale = i }
    }
    if held >= PieceReassembly.slotsPerPeer { return oldestHeld }
    return free ?? stale ?? oldest
  }
}
