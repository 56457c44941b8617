import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// The real clocks: `CLOCK_MONOTONIC` for timers, `CLOCK_REALTIME` for handshake timestamps.
public struct SystemClock: MeshClock {
  /// Creates the system clock.
  public init() {}

  /// Monotonic time.
  public func now() -> MeshInstant {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return MeshInstant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
  }

  /// Wall-clock nanoseconds since the Unix epoch.
  public func wallNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }
}
