import MeshProtocol
import MeshTypes

/// Where the engine's decisions go. The engine never performs I/O: it calls these methods, and
/// the caller decides what they do. `MeshNode` writes to the socket and the TAP at once, without
/// copying; tests record the calls. Buffers passed in are valid only during the call.
public protocol EngineOutput {
  /// Sends one datagram to `endpoint` on the underlay socket. Its memory may be reused by
  /// the engine's next call, so it must leave (or be copied) now.
  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint)
  /// Sends one datagram that the engine sealed in place in the buffer its caller handed to
  /// `sendFrame`: the engine does not touch that buffer again, so the datagram stays valid
  /// for as long as the caller keeps the buffer, and an output may queue it and send a whole
  /// batch in one system call. Defaults to `send`.
  mutating func sendInPlace(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint)
  /// Writes one Ethernet frame to the local TAP, with the offload header it came with (nil
  /// for a plain frame). The `MeshEngine.deliveryHeadroom` bytes before the frame belong to
  /// the caller's buffer and may be overwritten, so a virtio-net header can be put in front
  /// without a copy.
  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?)
  /// Reports something an embedder may want to know.
  mutating func event(_ event: MeshEvent)
  /// Sends one datagram that crosses at most `hopLimit` routers: a hole-punching opener,
  /// which opens this host's NAT towards `endpoint` but dies before the peer's NAT (where it
  /// would leave a conntrack entry that makes the peer's NAT remap its answer). Defaults to
  /// doing nothing.
  mutating func sendLimited(
    _ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint, hopLimit: UInt8)
}

extension EngineOutput {
  /// Sends nothing: an output without a real socket has no NAT to open.
  public mutating func sendLimited(
    _ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint, hopLimit: UInt8
  ) {}

  /// Sends at once: an output that does not batch treats both kinds of send alike.
  public mutating func sendInPlace(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    send(datagram, to: endpoint)
  }
}

/// Something that happened in the mesh, for embedders and logs.
public enum MeshEvent: Sendable, Equatable, CustomStringConvertible {
  /// A session with the peer is up (first handshake, or again after being down).
  case peerUp(PeerID, nickname: String, endpoint: Endpoint)
  /// A session was replaced by a new handshake.
  case rekeyed(PeerID)
  /// The peer's session expired or it stopped answering: its name, and why in words.
  case peerDown(PeerID, nickname: String, reason: String)
  /// A handshake from `source` was refused because it is not of this cluster: `reason` says
  /// which check failed; `count` such refusals from that source since its last report. At
  /// most one report per source every `HandshakeRefusals.reportInterval` seconds.
  case handshakeRefused(Endpoint, reason: HandshakeRefusal, count: UInt64)
  /// A peer's underlay address changed (roaming, NAT rebinding, restart on a new port).
  case endpointChanged(PeerID, Endpoint)
  /// A handshake attempt towards the endpoint started.
  case handshakeStarted(Endpoint)
  /// This host claimed a subnet (IPAM): persist it and give the bridge its address.
  case subnetClaimed(SubnetClaim)
  /// Frames from `peer` used a source MAC that peer does not own (it lives on this host's
  /// bridge or at another host) and were dropped; `count` since the last such report. At
  /// most one report every `MeshEngine.macConflictReportInterval` seconds.
  case macConflict(PeerID, MACAddress, count: UInt64)
  /// Two live hosts answer for the peer's key (a cloned VM or a copied state directory):
  /// this host stays with `kept`, the endpoint that held the session first, and refuses
  /// `refused`; `count` messages refused since the last report. Reported when detected and
  /// then at most once every `MeshEngine.duplicateKeyReportInterval` seconds.
  case duplicateKey(PeerID, kept: Endpoint, refused: Endpoint, count: UInt64)
  /// Two live hosts appear to use the key of `peer` (this host's own when `isSelf`): its
  /// signed record keeps being replaced by a rival one, as every host sees in gossip (see
  /// `KeyContests`). At most once every `KeyContests.reportInterval` seconds per key.
  case keyContested(PeerID, nickname: String, isSelf: Bool)
  /// A member whose key is gone: its endpoint now answers with the key of `replacedBy` (the
  /// host restarted with a new key), so its entry is dropped and no longer dialled or saved.
  case peerRetired(PeerID, endpoint: Endpoint, replacedBy: PeerID)
  /// An operator-asked endpoint never answered in `MeshEngineConfiguration.deadEndpointAge`
  /// and `deadEndpointAttempts`: it is no longer saved to known peers (it is still dialled
  /// until this process ends).
  case endpointExpired(Endpoint)
  /// This host lost an IPAM conflict soon after claiming and moved to another subnet: the
  /// bridge address changed, and Docker must be restarted with the new `meshd docker-opts`.
  case subnetMoved(from: IPv4Network, to: IPv4Network)
  /// This host lost an IPAM conflict on a claim too old to move (Docker may use it): it keeps
  /// the subnet, which `winner` also claims; an operator must resolve it. At most once every
  /// `MeshEngine.subnetConflictReportInterval` seconds.
  case subnetConflict(IPv4Network, winner: PeerID?)
  /// A peer given by host name has stayed unreachable: the runtime should resolve the name
  /// again (off the data thread) and hand the result to `MeshEngine.resolved(_:to:now:)`.
  case resolveName(HostPort)
  /// An endpoint this host dialled answered with this host's own key (its own address, or a
  /// name that resolves to it): it is no longer dialled nor saved.
  case dialledSelf(Endpoint)
  /// The path to a member changed: direct at an endpoint, or relayed through a neighbour.
  case pathChanged(PeerID, nickname: String, path: String)
  /// A round of hole punching towards a member brought no session: this host opened its NAT
  /// towards `endpoints` and asked neighbour `via` (by name) to pass the request on, `after`
  /// seconds ago; the next round is in `next` seconds. Reported for each of the first rounds
  /// in a row, then for one in `PunchState.reportEvery`.
  case punchUnanswered(
    PeerID, nickname: String, via: String, endpoints: [Endpoint], after: Double, next: Double)

  /// Whether the event is a fault an operator must see (logged as a warning).
  public var isWarning: Bool {
    switch self {
    case .macConflict, .duplicateKey, .keyContested, .subnetMoved, .subnetConflict, .dialledSelf,
      .handshakeRefused:
      true
    default: false
    }
  }

  /// A one-line description for logs.
  public var description: String {
    switch self {
    case .peerUp(let id, let nick, let ep):
      "peer up: \(DisplayText.escaped(nick)) (\(id)) at \(ep): handshake completed"
    case .rekeyed(let id): "rekeyed: \(id)"
    case .peerDown(let id, let nick, let reason):
      "peer down: \(DisplayText.escaped(nick)) (\(id)): \(reason)"
    case .handshakeRefused(let source, let reason, let count):
      "refused \(count) handshake(s) from \(source): \(reason)"
    case .endpointChanged(let id, let ep): "endpoint changed: \(id) now at \(ep)"
    case .handshakeStarted(let ep): "handshake started towards \(ep)"
    case .subnetClaimed(let claim): "claimed subnet \(claim.subnet)"
    case .macConflict(let id, let mac, let count):
      "dropped \(count) frame(s) from \(id) with source MAC \(mac), which it does not own"
    case .duplicateKey(let id, let kept, let refused, let count):
      "two hosts use the key of \(id): at \(kept) and \(refused); keeping \(kept), refused "
        + "\(count) message(s) from \(refused); give the clone a new key (meshd genkey)"
    case .keyContested(let id, _, true):
      "another live host uses this host's key \(id) (a cloned VM or a copied state "
        + "directory): their signed records keep replacing each other; give one of them a "
        + "new key (meshd genkey) and restart it"
    case .keyContested(let id, let nick, false):
      "two live hosts appear to use the key of \(DisplayText.escaped(nick)) (\(id)): its "
        + "signed record keeps being replaced by a rival one; give the clone a new key"
    case .peerRetired(let id, let ep, let by):
      "retired \(id): \(ep) now answers with the key of \(by)"
    case .endpointExpired(let ep):
      "\(ep) never answered: no longer saved to known peers"
    case .subnetMoved(let old, let new):
      "IPAM conflict: moved from \(old) to \(new); restart Docker with the new "
        + "`meshd docker-opts`"
    case .resolveName(let host): "\(host) stays unreachable: resolving its name again"
    case .dialledSelf(let ep):
      "\(ep) is this host itself (it answered with this host's own key): no longer dialled"
    case .pathChanged(let id, let nick, let path):
      "path to \(DisplayText.escaped(nick)) (\(id)): \(path)"
    case .punchUnanswered(let id, let nick, let via, let endpoints, let after, let next):
      "punch towards \(DisplayText.escaped(nick)) (\(id)) via \(DisplayText.escaped(via)): "
        + "no answer from "
        + (endpoints.isEmpty ? "it" : endpoints.map(\.description).joined(separator: ", "))
        + " in \(Int(after.rounded())) s, next in \(Int(next.rounded())) s; relayed meanwhile"
    case .subnetConflict(let subnet, let winner):
      "IPAM conflict: \(subnet) is also claimed by "
        + (winner.map(String.init(describing:)) ?? "another host")
        + " with an older claim; kept because Docker may use it: release one of the hosts"
    }
  }
}
