import MeshProtocol
import MeshTypes

/// One direction-paired set of transport keys from a completed handshake, with the counters and
/// replay window that belong to it. Keys are addressed by the local index that the other host
/// puts in the receiver field of every transport message.
public struct Keypair: Sendable {
  /// The index that the other host sends to us with.
  public let localIndex: UInt32
  /// The index that we send to the other host with.
  public let remoteIndex: UInt32
  /// The peer this session belongs to.
  public let peer: PeerID
  /// When the handshake completed.
  public let created: MeshInstant
  /// True when this host initiated the handshake; the initiator is the one that rekeys.
  public let isInitiator: Bool
  /// True for a session with a member reached through relays (`EndToEndLink`), whose
  /// messages arrive inside forwarded datagrams; false for a neighbour's.
  public let endToEnd: Bool
  /// The key for messages we send. Copies of the keypair share its storage, which is zeroed
  /// when the last one goes away.
  var sendKey: SymmetricKey
  /// The key for messages we receive.
  var receiveKey: SymmetricKey
  /// The counter of the next message we send.
  var sendCounter: UInt64 = 0
  /// Counters of received messages.
  var replay = ReplayWindow()
  /// For a responder, whether the initiator has shown (by sending) that it holds the keys.
  var confirmed: Bool

  /// Creates a keypair from a handshake's split keys.
  init(
    localIndex: UInt32, remoteIndex: UInt32, peer: PeerID, created: MeshInstant,
    isInitiator: Bool, sendKey: SymmetricKey, receiveKey: SymmetricKey, endToEnd: Bool = false
  ) {
    self.localIndex = localIndex
    self.remoteIndex = remoteIndex
    self.peer = peer
    self.created = created
    self.isInitiator = isInitiator
    self.endToEnd = endToEnd
    self.sendKey = sendKey
    self.receiveKey = receiveKey
    self.confirmed = isInitiator
  }

  /// Seconds since the handshake.
  func age(_ now: MeshInstant) -> Double { now.seconds(since: created) }

  /// Whether the keys may still be used at `now` under `timers`.
  func isUsable(_ now: MeshInstant, _ timers: SessionTimers) -> Bool {
    age(now) < timers.rejectAfterTime && sendCounter < timers.rejectAfterMessages
  }

  /// Drops both keys: this keypair can no longer seal or open (its keys are all zeros), and
  /// each key's storage is zeroed as soon as no other copy of the keypair holds it.
  mutating func wipe() {
    sendKey.wipe()
    receiveKey.wipe()
  }
}
