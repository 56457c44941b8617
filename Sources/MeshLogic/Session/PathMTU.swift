import MeshProtocol
import MeshTypes

/// What one host knows of the underlay path to one peer: the largest datagram that crosses it
/// whole, and whether the datagrams the kernel fragments cross it. A pure state machine with
/// the time given by the caller.
///
/// The kernel fragments an outer datagram at the local interface's MTU; when a link further on
/// has a smaller one (two hosts on one segment with different MTUs, a tunnel) and no router
/// says so with ICMP, those fragments vanish. So each host measures the path to each peer with
/// sealed probes (inner kind 4) of chosen sizes that the peer answers:
///
/// - Round one sends a probe of `WireLimits.maxDatagram` bytes (the kernel fragments it like
///   any large datagram), one of `top` bytes (an unfragmented packet of the local MTU) and a
///   few sizes in between. If the largest one is answered, fragments cross the path and every
///   datagram goes whole: `datagramLimit` is `WireLimits.maxDatagram`, the fast path.
/// - Otherwise each answer raises the confirmed size at once, and each round that times out
///   (each asks for the fragmented size again) narrows the range between the largest size answered and the smallest size unanswered,
///   until it is `granularity` wide. Datagrams larger than `datagramLimit` go in pieces.
/// - Until a size is confirmed the limit is `floor`, the size every path of the family must
///   carry. After `reprobeInterval` a round checks the limit again (and the largest size, in
///   case the path grew); if the confirmed size goes unanswered the path is treated as a black
///   hole: the limit falls back to the floor and the search starts over. The engine also starts
///   over when the peer's endpoint changes or the peer comes back up after going down.
public struct PathMTU: Sendable, Equatable {
  /// How long a round waits for answers, in seconds.
  public static let probeTimeout = 1.0
  /// How long a settled measurement is trusted before it is checked again, in seconds.
  public static let reprobeInterval = 300.0
  /// The search stops when the range left is this narrow, in bytes.
  public static let granularity = 16
  /// Sizes probed between the bounds in each round of the search.
  public static let sizesPerRound = 3
  /// The size of the probe that tells whether fragmented datagrams cross the path.
  public static let fragmentedSize = WireLimits.maxDatagram

  /// Where the measurement stands.
  public enum Phase: Sendable, Equatable {
    /// Not measured: the peer does not take probes and pieces, so everything goes whole.
    case off
    /// Rounds of probes are under way.
    case searching
    /// The limit is known; the next check is due at `nextRound`.
    case settled
  }

  /// One round of probes in flight.
  struct Round: Sendable, Equatable {
    /// The round's number, the upper bits of its probe IDs.
    var number: UInt32
    /// The datagram sizes probed, by probe index (the low 4 bits of the probe ID).
    var sizes: [Int]
    /// Bit `i` set when probe `i` was answered.
    var answered: UInt32 = 0
    /// When the probes went out.
    var sent: MeshInstant
  }

  /// The smallest datagram every path of the family carries: from 576-byte IPv4 or
  /// 1280-byte IPv6 packets.
  public let floor: Int
  /// The largest datagram that leaves as one packet: the local underlay MTU minus IP and UDP.
  public let top: Int
  /// Where the measurement stands.
  public private(set) var phase: Phase
  /// The largest datagram that goes out whole; larger ones go in pieces.
  public private(set) var datagramLimit: Int
  /// Whether the probe of `fragmentedSize` bytes was answered: the kernel's fragments cross.
  public private(set) var fragmentsPass = false
  /// The largest size answered since the search started (at least `floor`).
  public private(set) var confirmed: Int
  /// The smallest size found unanswered above `confirmed`, or `top + 1`.
  var failed: Int
  var round: Round?
  var roundsStarted: UInt32 = 0
  var nextRound: MeshInstant?

  /// No measurement: every datagram goes whole (a peer that does not take probes).
  public static let off = PathMTU(floor: WireLimits.maxDatagram, top: WireLimits.maxDatagram)

  private init(floor: Int, top: Int) {
    self.floor = floor
    self.top = top
    phase = .off
    datagramLimit = WireLimits.maxDatagram
    confirmed = floor
    failed = top + 1
  }

  /// A measurement about to start, for a path over IPv6 or IPv4 from an underlay of
  /// `underlayMTU` bytes (local); until the first answer the limit is the floor.
  public init(ipv6: Bool, underlayMTU: Int) {
    let overhead = ipv6 ? 48 : 28
    let floor = (ipv6 ? 1280 : 576) - overhead
    self.init(floor: floor, top: max(floor, min(underlayMTU - overhead, WireLimits.maxDatagram)))
    phase = .searching
    datagramLimit = floor
  }

  /// The largest underlay packet the path is known to carry whole: `top` plus the headers when
  /// fragments cross (the local MTU), else `confirmed` plus them; nil when not measured.
  public func pathMTU(ipv6: Bool) -> Int? {
    guard phase != .off else { return nil }
    return (fragmentsPass ? top : confirmed) + (ipv6 ? 48 : 28)
  }

  /// The probes to send now, as (probe ID, datagram size) pairs; empty when none are due.
  /// Also ends a round whose answers are overdue.
  public mutating func due(now: MeshInstant) -> [(id: UInt32, size: Int)] {
    guard phase != .off else { return [] }
    if let r = round {
      guard now.seconds(since: r.sent) >= PathMTU.probeTimeout else { return [] }
      conclude(now: now)
    }
    if let next = nextRound, next > now { return [] }
    let sizes = nextSizes()
    roundsStarted &+= 1
    let number = roundsStarted
    round = Round(number: number, sizes: sizes, sent: now)
    nextRound = nil
    return sizes.enumerated().map { (id: number << 4 | UInt32($0.offset), size: $0.element) }
  }

  /// An answer to probe `id`; false when it answers no probe of the current round.
  @discardableResult
  public mutating func answered(_ id: UInt32, now: MeshInstant) -> Bool {
    guard var r = round, id >> 4 == r.number else { return false }
    let i = Int(id & 0xF)
    guard i < r.sizes.count, r.answered & (1 << i) == 0 else { return false }
    r.answered |= 1 << i
    round = r
    let size = r.sizes[i]
    if size == PathMTU.fragmentedSize {
      // Fragments cross: everything goes whole, nothing more to learn this time.
      fragmentsPass = true
      datagramLimit = WireLimits.maxDatagram
      return settle(now: now)
    }
    if size > confirmed {
      confirmed = size
      if !fragmentsPass { datagramLimit = confirmed }
    }
    if r.answered == (1 << r.sizes.count) - 1 { conclude(now: now) }
    return true
  }

  /// The sizes of the next round, each with the fragmented size (a lost answer to it must not
  /// cost the fast path until the next check): the first round (or a check) takes the bounds
  /// too, a search round takes sizes spread between the bounds.
  func nextSizes() -> [Int] {
    var sizes = [PathMTU.fragmentedSize]
    if phase == .settled || roundsStarted == 0 {
      if !fragmentsPass, confirmed > floor { sizes.append(confirmed) }
      if top > confirmed { sizes.append(top) }
      return sizes + spread(from: confirmed, to: top)
    }
    return sizes + spread(from: confirmed, to: failed)
  }

  /// Up to `sizesPerRound` sizes evenly spread strictly between `low` and `high`.
  func spread(from low: Int, to high: Int) -> [Int] {
    let n = PathMTU.sizesPerRound
    var sizes: [Int] = []
    for k in 1...n {
      let size = low + (high - low) * k / (n + 1)
      if size > low, size < high, sizes.last != size { sizes.append(size) }
    }
    return sizes
  }

  /// Ends the round in flight: unanswered sizes bound the search from above; an unanswered
  /// check of the confirmed size starts it over from the floor.
  mutating func conclude(now: MeshInstant) {
    guard let r = round else { return }
    round = nil
    var checkFailed = false
    for (i, size) in r.sizes.enumerated() where r.answered & (1 << i) == 0 {
      if size == PathMTU.fragmentedSize {
        if fragmentsPass {
          // Fragments stopped crossing: measure whole datagrams from the floor up.
          checkFailed = true
        }
        fragmentsPass = false
      } else if phase == .settled, size == confirmed {
        checkFailed = true
      } else if size > confirmed {
        failed = min(failed, size)
      }
    }
    if checkFailed {
      confirmed = floor
      failed = top + 1
    }
    if !fragmentsPass { datagramLimit = confirmed }
    if failed <= confirmed { failed = top + 1 }
    if fragmentsPass || failed - confirmed <= PathMTU.granularity || confirmed >= top {
      settle(now: now)
    } else {
      phase = .searching
      nextRound = now
    }
  }

  /// Marks the measurement done until the next check.
  @discardableResult
  mutating func settle(now: MeshInstant) -> Bool {
    round = nil
    phase = .settled
    failed = top + 1
    nextRound = now.adding(seconds: PathMTU.reprobeInterval)
    return true
  }
}
