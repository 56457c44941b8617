/// Failures of the crypto primitives. Every one of them can come from data read from the
/// network or from a file, so callers handle them rather than crash.
public enum CryptoError: Error, Equatable, Sendable {
  /// A key or secret had the wrong number of bytes.
  case invalidLength(expected: Int, actual: Int)
  /// Text that should be a key or secret was not canonical, padded base64.
  case invalidBase64
  /// X25519 gave the all-zero shared secret: the peer's public key is a low-order point, which
  /// an attacker can send to force a known secret, so the exchange is refused.
  case lowOrderPoint
  /// A passphrase was empty, which would make the derived cluster secret guessable.
  case emptyPassphrase
  /// Argon2id could not run, in practice because the memory it needs was not available.
  case keyDerivationFailed
}
