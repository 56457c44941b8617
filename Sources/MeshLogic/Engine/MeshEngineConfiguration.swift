import MeshProtocol
import MeshTypes

/// What the engine needs to know about this host and its cluster.
public struct MeshEngineConfiguration: Sendable {
  /// This host's static X25519 key.
  public var privateKey: PrivateKey
  /// The host name announced to peers.
  public var nickname: String
  /// The cluster secrets, current first. Handshakes are sent with the first and accepted with
  /// any, so a cluster can rotate its secret host by host without downtime.
  public var clusterSecrets: [SymmetricKey]
  /// Underlay endpoints announced to peers in handshakes.
  public var advertisedEndpoints: [Endpoint] = []
  /// When set, only these static keys may join (strict mode).
  public var allowedKeys: Set<PublicKey>?
  /// Session timers.
  public var timers = SessionTimers()
  /// The cluster's IPAM plan; nil runs without IPAM.
  public var ipam: IPAMPlan?
  /// The claim this host made before a restart, from its state directory.
  public var ipamClaim: SubnetClaim?
  /// Whether this host's TAP takes offloaded frames (large TCP segments, partial
  /// checksums); announced to peers in the handshake.
  public var acceptsOffloadedFrames = false
  /// Whether this host starts end-to-end sessions with members it reaches only through
  /// relays (`EndToEndLink`). Off, its frames for them are relayed hop by hop, opened and
  /// sealed again by every relay; it still answers the end-to-end handshakes of others.
  public var startsEndToEndSessions = true
  /// The MTU of this host's underlay interface: the largest packet it sends unfragmented,
  /// the top of every path-MTU search (see `PathMTU`). Too high is harmless (the probes above
  /// the real one are fragmented like data); too low only makes the search stop short.
  public var underlayMTU = 1500
  /// The operator keys whose signed tombstones (`meshd release`) this host accepts; empty:
  /// only a host itself can retire its record mesh-wide.
  public var operatorKeys: Set<OperatorPublicKey> = []

  /// How long an operator-asked endpoint (`connect`, a known peer from the file) may go
  /// unanswered, in seconds, before it is no longer saved to known peers; it must also have had
  /// `deadEndpointAttempts` attempts. A day: a host down for maintenance overnight is kept,
  /// a typo is gone by the next day's restart. `--peer` endpoints come back from the flags.
  public var deadEndpointAge: Double = 86_400
  /// The attempts an operator-asked endpoint must have gone unanswered before it expires.
  public var deadEndpointAttempts = 10
  /// How long, in seconds, a second host with the same key is refused once detected; every
  /// attempt it makes renews the hold. Five minutes: long enough that two live clones never
  /// flap (the clone retries well within it), short enough that a host really moved to the
  /// clone's address is followed soon after the first one falls silent (the hold also ends
  /// early when the kept endpoint stops answering).
  public var duplicateKeyHold: Double = 300
  /// How soon, in seconds, an endpoint flipping back to where it just was counts as two
  /// hosts with one key. A roaming host does not come back to its old address on a new
  /// session within a minute; two clones do so within seconds.
  public var duplicateKeyWindow: Double = 60
  /// How long after making its claim, in seconds, a host may still move to another subnet
  /// when it loses an IPAM conflict (its claim is the later one). The node puts the bridge
  /// address up at once and Docker may take the subnet as soon as it starts, so a claim older
  /// than this is kept despite the conflict and reported as a warning instead; the older
  /// claim never moves. 15 s covers the gossip round trips in which two hosts that claimed at
  /// once learn of each other.
  public var ipamMoveWindow: Double = 15
  /// How long, in seconds, a peer given by host name may stay unreachable before its name is
  /// resolved again (and again each interval after): a host whose address changed is found
  /// within about this long once its old address stops answering.
  public var nameRetryInterval: Double = 30
  /// How many routers a hole-punching opener may cross (its IP TTL): enough to leave this
  /// host's own NAT (usually the first or second hop), too few to reach the peer's.
  public var punchOpenerHopLimit: UInt8 = 2

  /// A configuration with WireGuard's timers and no allow-list.
  public init(privateKey: PrivateKey, nickname: String, clusterSecrets: [SymmetricKey]) {
    precondition(!clusterSecrets.isEmpty, "at least one cluster secret")
    self.privateKey = privateKey
    self.nickname = String(nickname.utf8.prefix(WireLimits.maxNickname)) ?? "meshd"
    self.clusterSecrets = clusterSecrets
  }
}

/// The Noise protocol constants of meshd's handshake.
package enum MeshHandshake {
  /// The handshake pattern.
  static let pattern = NoisePattern.IXpsk2
  /// Bound into every handshake hash, so meshd sessions cannot be confused with another
  /// protocol's.
  static let prologue: [UInt8] = Array("meshd handshake v1".utf8)
  /// The prologue of end-to-end handshakes (carried through relays), so that neither kind of
  /// message is ever taken for the other.
  static let endToEndPrologue: [UInt8] = Array("meshd end-to-end v1".utf8)
  /// Handshake payload flag: the sender takes offloaded frames.
  static let flagAcceptsOffload: UInt8 = 1
  /// Handshake payload flag: the sender answers path probes and takes pieces (kind 7), so
  /// the path to it is measured and messages too large for that path are cut.
  static let flagPathMTU: UInt8 = 2
  /// Prefix of the mac1 key derivation.
  static let mac1Label: [UInt8] = Array("meshd mac1 v1---".utf8)

  /// The key that seals cookie replies, from the cluster secret.
  static func cookieKey(_ secret: SymmetricKey) -> SymmetricKey {
    labelledHash(Array("meshd cookie v1-".utf8), secret)
  }

  /// The key of mac1 for a cluster secret: members can compute it, outsiders cannot.
  package static func mac1Key(_ secret: SymmetricKey) -> SymmetricKey {
    labelledHash(mac1Label, secret)
  }

  /// BLAKE2b-256 of `label` then the secret, through working buffers that are zeroed, into
  /// key storage of its own.
  private static func labelledHash(_ label: [UInt8], _ secret: SymmetricKey) -> SymmetricKey {
    var material: [UInt8] = []
    material.reserveCapacity(label.count + SymmetricKey.length)
    material += label
    secret.withUnsafeBytes { material += $0 }
    defer { Sodium.memzero(&material) }
    var digest = Blake2b.hash(material, outputLength: 32)
    defer { Sodium.memzero(&digest) }
    return SymmetricKey(prefixOf: digest)
  }
}
