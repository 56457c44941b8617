/// A response code (RFC 1035 4.1.1), the low four bits of the flags.
public enum DNSResponseCode: UInt8, Hashable, Sendable {
  /// No error.
  case noError = 0
  /// The server could not interpret the query.
  case formatError = 1
  /// The server failed (no upstream answered).
  case serverFailure = 2
  /// The name does not exist.
  case nameError = 3
  /// The kind of query is not supported.
  case notImplemented = 4
  /// The server refuses to answer.
  case refused = 5
}
