/// An RFC 6479 anti-replay window over transport counters.
///
/// The bitmap is a ring of `ringBlocks` 64-bit words, allocated once at `init`; per packet
/// nothing is allocated. A counter `c` is tracked as `n = c + 1` so that the empty window
/// (`top == 0`) needs no separate flag. Bit `n % 64` of word `(n / 64) % ringBlocks` records `n`.
/// When a newer counter arrives, the words between the old and new top block are cleared
/// (at most the whole ring), as RFC 6479 describes, so bits of counters one ring turn ago never
/// leak into the new window.
///
/// Acceptance: with `g` the greatest accepted counter, a counter `c` is accepted when it is new
/// and `c + window >= g`; so `g − window` is the oldest acceptable counter and `g − window − 1`
/// is the first rejected one. `window = size − blockBits` (4032): the newest block may be
/// partly filled, so only that many older bits are guaranteed distinct ring slots.
///
/// Use: `wouldAccept` before decrypting (cheap drop of replays and stale packets), `accept`
/// only after the packet authenticated (so forged packets never move the window).
public struct ReplayWindow: Sendable {
  /// Bits per ring word.
  public static let blockBits = 64
  /// The size of the bitmap in bits (RFC 6479 needs at least 2048 here; we keep 4096).
  public static let size = 4096
  /// Words in the ring; a power of two.
  public static let ringBlocks = size / blockBits
  /// How far behind the greatest accepted counter a counter may be and still be accepted.
  public static let window = UInt64(size - blockBits)
  /// Counters at or above this are always rejected: 2^64 − 2^13 − 1, as in WireGuard, so a
  /// sender must rekey long before its counter could wrap.
  public static let rejectAfterMessages: UInt64 = UInt64.max - (1 << 13)

  /// The ring of bitmap words.
  private var blocks: [UInt64]
  /// The greatest accepted counter plus one; 0 while nothing has been accepted.
  private var top: UInt64

  /// An empty window that accepts any counter below `rejectAfterMessages`.
  public init() {
    blocks = Array(repeating: 0, count: Self.ringBlocks)
    top = 0
  }

  /// The greatest counter accepted so far, or nil if none.
  public var greatestAccepted: UInt64? { top == 0 ? nil : top - 1 }

  /// Whether `accept(counter)` would succeed now; changes nothing. Call before decrypting.
  public func wouldAccept(_ counter: UInt64) -> Bool {
    guard counter < Self.rejectAfterMessages else { return false }
    let n = counter + 1
    if n > top { return true }
    if n + Self.window < top { return false }
    let (block, mask) = Self.slot(n)
    return blocks[block] & mask == 0
  }

  /// Records `counter` as received; false (and no change) for a duplicate, a counter too old
  /// for the window or one at or past `rejectAfterMessages`. Call only after the packet
  /// authenticated.
  public mutating func accept(_ counter: UInt64) -> Bool {
    guard counter < Self.rejectAfterMessages else { return false }
    let n = counter + 1
    if n > top {
      advance(to: n)
    } else if n + Self.window < top {
      return false
    }
    let (block, mask) = Self.slot(n)
    guard blocks[block] & mask == 0 else { return false }
    blocks[block] |= mask
    return true
  }

  /// Forgets every counter (for a new key).
  public mutating func reset() {
    for i in blocks.indices { blocks[i] = 0 }
    top = 0
  }

  /// Moves the top to `n`, clearing the ring words that the new top block and the blocks
  /// between reuse.
  private mutating func advance(to n: UInt64) {
    let shift = UInt64(Self.blockBits.trailingZeroBitCount)
    let current = top >> shift
    let target = n >> shift
    let steps = min(target - current, UInt64(Self.ringBlocks))
    let ringMask = UInt64(Self.ringBlocks - 1)
    var i: UInt64 = 1
    while i <= steps {
      blocks[Int((current + i) & ringMask)] = 0
      i += 1
    }
    top = n
  }

  /// The ring word index and bit mask of tracked value `n`.
  private static func slot(_ n: UInt64) -> (Int, UInt64) {
    let shift = UInt64(blockBits.trailingZeroBitCount)
    let block = Int((n >> shift) & UInt64(ringBlocks - 1))
    let mask: UInt64 = 1 << (n & UInt64(blockBits - 1))
    return (block, mask)
  }
}
