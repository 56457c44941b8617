import Foundation

/// Polls `condition` every `interval` seconds until it returns true or `timeout` seconds pass.
///
/// Returns whether the condition became true. Tests use this instead of fixed sleeps, so a fast
/// machine finishes fast and a slow one still gets the whole timeout.
func waitUntil(
  timeout: Double, interval: Double = 0.2, _ condition: () -> Bool
) async -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while true {
    if condition() { return true }
    if Date() > deadline { return false }
    try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
  }
}
