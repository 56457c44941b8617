import MeshCore
import Testing

/// A reference model of the window semantics: a set of accepted counters and the greatest.
struct ReferenceReplay {
  var seen: Set<UInt64> = []
  var greatest: UInt64?

  func wouldAccept(_ c: UInt64) -> Bool {
    guard c < ReplayWindow.rejectAfterMessages, !seen.contains(c) else { return false }
    guard let g = greatest else { return true }
    return c > g || c + ReplayWindow.window >= g
  }

  mutating func accept(_ c: UInt64) -> Bool {
    guard wouldAccept(c) else { return false }
    seen.insert(c)
    greatest = max(greatest ?? 0, c)
    return true
  }
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SplitMix {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ n: UInt64) -> UInt64 { next() % n }
}

/// A reference wrapper, so that `#expect(w.accept(c))` can call the mutating method.
final class Win {
  var window = ReplayWindow()
  func accept(_ c: UInt64) -> Bool { window.accept(c) }
  func wouldAccept(_ c: UInt64) -> Bool { window.wouldAccept(c) }
  func reset() { window.reset() }
  var greatestAccepted: UInt64? { window.greatestAccepted }
}

@Suite struct ReplayWindowTests {
  @Test func sizes() {
    #expect(ReplayWindow.size == 4096)
    #expect(ReplayWindow.window == 4032)
    #expect(ReplayWindow.window >= 2048)
    #expect(ReplayWindow.rejectAfterMessages == UInt64.max - 8192)
  }

  @Test func inOrderAndDuplicates() {
    let w = Win()
    #expect(w.greatestAccepted == nil)
    for c in UInt64(0)..<10_000 {
      #expect(w.wouldAccept(c))
      #expect(w.accept(c))
      #expect(!w.wouldAccept(c))
      #expect(!w.accept(c))
    }
    #expect(w.greatestAccepted == 9_999)
  }

  @Test func counterZeroOnlyOnce() {
    let w = Win()
    #expect(w.accept(0))
    #expect(!w.accept(0))
    #expect(w.accept(1))
    #expect(!w.accept(0))
  }

  @Test func outOfOrderWithinWindow() {
    let w = Win()
    #expect(w.accept(100))
    for c in stride(from: UInt64(99), through: 0, by: -1) { #expect(w.accept(c)) }
    #expect(w.accept(200))
    #expect(w.accept(150))
    #expect(!w.accept(150))
    #expect(!w.accept(100))
  }

  @Test func exactWindowEdge() {
    for g: UInt64 in [5000, 8191, 8192, 8193, 1_000_037] {
      let w = Win()
      #expect(w.accept(g))
      let lastAccepted = g - ReplayWindow.window
      #expect(!w.wouldAccept(lastAccepted - 1), "g=\(g)")
      #expect(!w.accept(lastAccepted - 1), "g=\(g)")
      #expect(w.wouldAccept(lastAccepted), "g=\(g)")
      #expect(w.accept(lastAccepted), "g=\(g)")
      #expect(!w.accept(lastAccepted), "g=\(g)")
      // Everything between is still individually tracked.
      for c in lastAccepted + 1..<g { #expect(w.accept(c)) }
    }
  }

  @Test func farJumpClearsOldBits() {
    let w = Win()
    for c in UInt64(0)..<4096 { #expect(w.accept(c)) }
    // One whole ring later the same ring slots are reused: they must read as new.
    let jump = UInt64(ReplayWindow.size) * 3
    #expect(w.accept(jump + 4095))
    for c in jump + 4095 - ReplayWindow.window..<jump + 4095 { #expect(w.wouldAccept(c)) }
    #expect(!w.wouldAccept(4095))
  }

  @Test func jumpByLessThanTheRingClearsOnlyNewBlocks() {
    let w = Win()
    for c in UInt64(1000)..<1100 { #expect(w.accept(c)) }
    #expect(w.accept(3000))
    for c in UInt64(1000)..<1100 { #expect(!w.wouldAccept(c)) }
    #expect(w.wouldAccept(1100))
    #expect(w.accept(1100 + ReplayWindow.window))
    #expect(!w.wouldAccept(1099))
  }

  @Test func hugeJumpAndLimit() {
    let w = Win()
    #expect(w.accept(1))
    #expect(w.accept(UInt64(1) << 62))
    #expect(!w.wouldAccept(1))
    let limit = ReplayWindow.rejectAfterMessages
    #expect(!w.wouldAccept(limit))
    #expect(!w.accept(limit))
    #expect(!w.accept(UInt64.max))
    #expect(w.accept(limit - 1))
    #expect(!w.accept(limit - 1))
    #expect(w.accept(limit - 1 - ReplayWindow.window))
    #expect(!w.accept(limit - 2 - ReplayWindow.window))
  }

  @Test func resetForgets() {
    let w = Win()
    #expect(w.accept(5))
    w.reset()
    #expect(w.greatestAccepted == nil)
    #expect(w.accept(5))
  }

  @Test(arguments: 0..<40)
  func matchesReferenceModel(seed: Int) {
    var rng = SplitMix(state: UInt64(seed) &* 0x1234_5678_9ABC)
    let w = Win()
    var model = ReferenceReplay()
    var modelResult = false
    var base: UInt64 = seed % 4 == 3 ? ReplayWindow.rejectAfterMessages - 20_000 : 0
    for _ in 0..<3_000 {
      let c: UInt64
      switch rng.below(10) {
      case 0:
        base &+= rng.below(20_000)  // jump ahead
        c = base
      case 1: c = base &- rng.below(5_000)  // around the edge
      case 2: c = base &+ rng.below(64)
      case 3: c = base &- ReplayWindow.window &+ rng.below(3) &- 1
      default: c = base &- rng.below(300)
      }
      if rng.below(2) == 0 { base = max(base, c) }
      #expect(w.wouldAccept(c) == model.wouldAccept(c), "seed \(seed) counter \(c)")
      if rng.below(8) != 0 {
        modelResult = model.accept(c)
        #expect(w.accept(c) == modelResult, "seed \(seed) counter \(c)")
      }
    }
  }
}
