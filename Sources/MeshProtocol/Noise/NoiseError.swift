/// Why a Noise operation failed. Handshake messages come from the network, so every failure
/// on input is one of these, never a crash. A failed `readMessage` or `writeMessage` leaves
/// the handshake state as it was before the call.
public enum NoiseError: Error, Equatable, Sendable {
  /// It is the other side's turn to write (or ours to read): the message is out of order.
  case wrongTurn
  /// The handshake already ended; no more handshake messages are expected.
  case handshakeComplete
  /// The handshake has not ended yet, so there are no transport keys to split.
  case handshakeIncomplete
  /// The message ended before all the fields its pattern requires.
  case messageTooShort
  /// The message, or the one that would be written, exceeds `HandshakeState.maxMessageLength`.
  case messageTooLong
  /// Authentication failed: wrong keys, wrong PSK, wrong prologue, or a tampered message.
  case decryptFailed
  /// A received public key is a low-order point, which would give a known DH secret.
  case lowOrderPoint
  /// A key the pattern needs was not supplied (e.g. the local static key, or the responder's
  /// static key for IK's pre-message); the associated text names it.
  case missingKey(String)
  /// A key was supplied that the pattern does not use, which points to a setup mistake; the
  /// associated text names it.
  case unexpectedKey(String)
  /// The pre-shared key is not 32 bytes.
  case invalidPSK
  /// The 64-bit nonce is used up (2^64 - 1 messages): the key must be replaced.
  case nonceExhausted
}
