/// When to try the Docker engine again after it could not be reached or its stream ended:
/// exponential backoff with jitter, reset by a connection that worked.
///
/// Pure: the caller passes a random fraction in 0...1 and sleeps the returned seconds.
public struct ReconnectBackoff: Equatable, Sendable {
  /// The first wait, in seconds.
  public static let initial = 0.5
  /// The longest wait, in seconds: a dockerd that comes back is noticed within this.
  public static let maximum = 10.0
  /// Up to this fraction of a wait is added as jitter.
  public static let jitter = 0.25

  /// Failures in a row since the last success.
  public private(set) var failures = 0

  /// No failures yet.
  public init() {}

  /// Records a failure and returns how long to wait before the next attempt.
  public mutating func failed(random: Double) -> Double {
    let base = min(
      ReconnectBackoff.maximum,
      ReconnectBackoff.initial * Double(1 << min(failures, 16)))
    failures += 1
    return base * (1 + ReconnectBackoff.jitter * min(max(random, 0), 1))
  }

  /// Records a connection that worked: the next failure waits `initial` again.
  public mutating func succeeded() { failures = 0 }
}
