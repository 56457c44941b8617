/// An error raised by the integration harness itself (set-up, a command that failed, a timeout).
///
/// Its description is the whole message, so a failing test prints exactly what went wrong,
/// including any daemon log lines that the harness attached.
struct HarnessError: Error, CustomStringConvertible {
  /// The human-readable message.
  let message: String

  /// Creates an error with the given message.
  init(_ message: String) {
    self.message = message
  }

  /// The message, as printed by Swift Testing.
  var description: String { message }
}
