/// The named bounds of the wire format.
///
/// Every length read from the network is checked against one of these before it is used, so
/// no peer can make a codec read out of bounds or allocate without limit.
public enum WireLimits {
  /// The largest UDP payload over IPv4: 65535 − 20 (IPv4 header) − 8 (UDP header).
  /// IPv6 (65535 − 8 without jumbograms) could carry slightly more; we use the smaller so one
  /// limit serves both underlays.
  public static let maxDatagram = 65_507

  /// The largest handshake payload (the plaintext carried inside Noise message 1 or 2).
  public static let maxHandshakePayload = 512

  /// The length of the AEAD authentication tag (Poly1305).
  public static let aeadTag = 16

  /// The length of an X25519 public key.
  public static let publicKey = 32

  /// The smallest Noise IX message: ephemeral key (32) · encrypted static key (32 + 16) ·
  /// encrypted empty payload (16).
  public static let minHandshakeNoise = publicKey + (publicKey + aeadTag) + aeadTag

  /// The largest Noise handshake message: `minHandshakeNoise` plus a full payload.
  public static let maxHandshakeNoise = minHandshakeNoise + maxHandshakePayload

  /// The length of each of the two handshake MAC fields (keyed BLAKE2b-128).
  public static let macLength = 16

  /// The largest Ethernet frame carried in an inner message, headers included. Over UDP the
  /// effective limit is lower: `maxDatagram` minus transport and inner overhead.
  public static let maxFrame = 65_535

  /// The length of an untagged Ethernet header: destination, source, ethertype.
  public static let ethernetHeader = 14

  /// The largest gossip (control plane) message, so one always fits one datagram on any path.
  public static let maxGossip = 1_200

  /// The largest path-probe padding.
  public static let maxProbePadding = maxFrame

  /// The largest nickname in a handshake payload, in UTF-8 bytes.
  public static let maxNickname = 64

  /// The most endpoints a handshake payload lists.
  public static let maxEndpoints = 8

  /// The largest message cut into pieces (inner kind 7): the largest plaintext a datagram
  /// holds, `maxDatagram` minus the transport header (16) and the tag (16).
  public static let maxReassembled = maxDatagram - 16 - aeadTag

  /// The most pieces one message is cut into; a receiver keeps one bit per piece.
  public static let maxPieces = 256

  /// The smallest piece (all but the last): with `maxPieces`, any message fits.
  public static let minPieceLength = (maxReassembled + maxPieces - 1) / maxPieces

  /// The smallest transport datagram: header (16), kind byte (1) and tag (16).
  public static let minTransport = 16 + 1 + aeadTag
}
