/// A Noise handshake pattern (Noise spec rev 34, sections 7 and 9): the tokens each message
/// carries and the keys known beforehand. The suite is fixed: 25519, ChaChaPoly, BLAKE2b.
public struct NoisePattern: Hashable, Sendable, CustomStringConvertible {
  /// One step of a handshake message.
  public enum Token: String, Hashable, Sendable {
    /// Send or receive an ephemeral public key.
    case e
    /// Send or receive a static public key (encrypted once a key exists).
    case s
    /// DH between the two ephemeral keys.
    case ee
    /// DH between the initiator's ephemeral and the responder's static key.
    case es
    /// DH between the initiator's static and the responder's ephemeral key.
    case se
    /// DH between the two static keys.
    case ss
    /// Mix in the pre-shared key.
    case psk
  }

  /// The pattern's name with modifiers, e.g. "IXpsk2".
  public let name: String
  /// Keys of the initiator that the responder knows beforehand (only `s` here).
  public let initiatorPreMessage: [Token]
  /// Keys of the responder that the initiator knows beforehand (e.g. `s` for IK).
  public let responderPreMessage: [Token]
  /// The handshake messages in order; even indices go initiator to responder.
  public let messages: [[Token]]

  /// Declares a pattern; the built-in ones below cover what meshd and the vectors need.
  public init(
    name: String, initiatorPreMessage: [Token] = [], responderPreMessage: [Token] = [],
    messages: [[Token]]
  ) {
    self.name = name
    self.initiatorPreMessage = initiatorPreMessage
    self.responderPreMessage = responderPreMessage
    self.messages = messages
  }

  /// True when any message mixes in a PSK; then every `e` token also calls MixKey.
  public var hasPSK: Bool { messages.contains { $0.contains(.psk) } }

  /// The full protocol name, e.g. "Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b", which seeds h.
  public var protocolName: String { "Noise_\(name)_25519_ChaChaPoly_BLAKE2b" }

  /// The protocol name.
  public var description: String { protocolName }

  /// `-> e` / `<- e, ee`: no authentication.
  public static let NN = NoisePattern(name: "NN", messages: [[.e], [.e, .ee]])

  /// NN with a PSK mixed in first.
  public static let NNpsk0 = NoisePattern(
    name: "NNpsk0", messages: [[.psk, .e], [.e, .ee]])

  /// The initiator knows the responder's static key; one round trip.
  public static let IK = NoisePattern(
    name: "IK", responderPreMessage: [.s],
    messages: [[.e, .es, .s, .ss], [.e, .ee, .se]])

  /// IK with a PSK mixed in at the end of message 2 (WireGuard's shape).
  public static let IKpsk2 = NoisePattern(
    name: "IKpsk2", responderPreMessage: [.s],
    messages: [[.e, .es, .s, .ss], [.e, .ee, .se, .psk]])

  /// Both static keys are sent; one round trip, no prior knowledge.
  public static let IX = NoisePattern(
    name: "IX", messages: [[.e, .s], [.e, .ee, .se, .s, .es]])

  /// IX with a PSK mixed in at the end of message 2: meshd's handshake, the PSK being the
  /// cluster secret.
  public static let IXpsk2 = NoisePattern(
    name: "IXpsk2", messages: [[.e, .s], [.e, .ee, .se, .s, .es, .psk]])

  /// Both static keys are sent, hidden; one and a half round trips.
  public static let XX = NoisePattern(
    name: "XX", messages: [[.e], [.e, .ee, .s, .es], [.s, .se]])

  /// Every built-in pattern.
  public static let all: [NoisePattern] = [NN, NNpsk0, IK, IKpsk2, IX, IXpsk2, XX]

  /// The built-in pattern with this name ("IXpsk2") or full protocol name
  /// ("Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b"); nil if there is none.
  public static func named(_ name: String) -> NoisePattern? {
    all.first { $0.name == name || $0.protocolName == name }
  }
}
