/// A point on a monotonic clock, in nanoseconds from an arbitrary origin.
public struct MeshInstant: Hashable, Sendable, Comparable {
  /// Nanoseconds since the clock's origin.
  public var nanoseconds: UInt64

  /// Wraps a nanosecond count.
  public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

  /// The instant `seconds` after this one.
  public func adding(seconds: Double) -> MeshInstant {
    MeshInstant(nanoseconds: nanoseconds &+ UInt64(max(0, seconds) * 1e9))
  }

  /// The instant `ns` nanoseconds after this one.
  public func adding(nanoseconds ns: UInt64) -> MeshInstant {
    MeshInstant(nanoseconds: nanoseconds &+ ns)
  }

  /// Seconds from `earlier` to this instant; negative if `earlier` is later.
  public func seconds(since earlier: MeshInstant) -> Double {
    nanoseconds >= earlier.nanoseconds
      ? Double(nanoseconds - earlier.nanoseconds) / 1e9
      : -Double(earlier.nanoseconds - nanoseconds) / 1e9
  }

  /// Orders instants in time.
  public static func < (a: MeshInstant, b: MeshInstant) -> Bool { a.nanoseconds < b.nanoseconds }
}

/// The time sources that the state machines read. Injected, so that tests drive timers with
/// a fake clock and never sleep.
public protocol MeshClock: Sendable {
  /// Monotonic time, for timers.
  func now() -> MeshInstant
  /// Wall-clock time in nanoseconds since the Unix epoch, for handshake timestamps that must
  /// keep increasing across restarts.
  func wallNanoseconds() -> UInt64
}

/// A source of random bytes. Injected, so that tests are repeatable.
public protocol RandomSource {
  /// Fills `buffer` with random bytes.
  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
  /// A random 32-bit value.
  public mutating func next32() -> UInt32 {
    var v: UInt32 = 0
    withUnsafeMutableBytes(of: &v) { fill($0) }
    return v
  }

  /// `count` random bytes.
  public mutating func bytes(_ count: Int) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: count)
    b.withUnsafeMutableBytes { fill($0) }
    return b
  }

  /// A uniformly distributed value in `0..<bound`, `bound` > 0.
  public mutating func uniform(_ bound: UInt32) -> UInt32 {
    precondition(bound > 0)
    return UInt32((UInt64(next32()) * UInt64(bound)) >> 32)
  }
}
