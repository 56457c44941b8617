import MeshProtocol
import MeshTypes

/// What a handshake initiation claimed, held until the initiator proves it.
///
/// Message 1 of Noise IXpsk2 proves nothing about the static key it carries (there is no
/// Diffie-Hellman with it yet and the PSK enters in message 2), so anyone with the cluster
/// secret can send one naming another member's key. Nothing it says (the timestamp that
/// guards against replays, where the peer is, its name and endpoints) is committed until the
/// first transport message on the answered session authenticates: only the holder of the
/// static private key can derive that session's keys.
struct PendingResponse: Sendable {
  /// The peer the initiation named.
  var peer: PeerID
  /// Its static key, as the initiation carried it.
  var key: PublicKey
  /// The initiation's payload: timestamp, nickname, endpoints, flags.
  var payload: HandshakePayload
  /// Where the initiation came from (the answer went there).
  var source: Endpoint
  /// When it was answered.
  var answered: MeshInstant
}
