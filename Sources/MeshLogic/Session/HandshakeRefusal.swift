/// Why a handshake from outside the cluster was refused, with the likely cause in words: the
/// operator of a host that logs nothing else learns that the other host has another secret.
public enum HandshakeRefusal: Sendable, Equatable, CustomStringConvertible {
  /// Its mac1 matches none of this host's cluster secrets.
  case mac1
  /// Its mac1 matched, but the Noise handshake (whose pre-shared key is the cluster secret)
  /// failed, or it answered an initiation sent under another secret.
  case presharedKey

  /// The check that failed and what most likely caused it.
  public var description: String {
    switch self {
    case .mac1:
      "mac1 did not verify: the sender most likely uses a different cluster secret "
        + "(or is not a meshd of this cluster)"
    case .presharedKey:
      "the handshake failed its pre-shared key: the sender most likely uses a different "
        + "cluster secret"
    }
  }
}
