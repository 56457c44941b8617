/// Why a received datagram, inner message or handshake payload was rejected.
///
/// Every codec in `Wire` reports malformed input with one of these cases instead of trapping,
/// so a hostile peer can make a packet be dropped but never crash the daemon. The cases carry
/// no strings, so throwing one on the per-packet path allocates nothing.
public enum WireError: Error, Equatable, Hashable, Sendable {
  /// The input ends before a required field (or is shorter than the minimum length).
  case truncated
  /// The input, or a length field inside it, exceeds a named bound in `WireLimits`.
  case oversized
  /// The message type or inner kind byte is not one this version knows.
  case unknownType(UInt8)
  /// The message is well formed but of another type than the decoder expects.
  case unexpectedType(UInt8)
  /// A reserved field is not zero.
  case badReserved
  /// A version field names a version this implementation does not speak.
  case unsupportedVersion(UInt8)
  /// A field holds a value the format forbids (bad UTF-8, zero timestamp, trailing bytes, …).
  case malformed
}
