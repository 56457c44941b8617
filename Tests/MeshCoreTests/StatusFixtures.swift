@testable import MeshAPI
@testable import MeshCore
@testable import MeshLogic
@testable import MeshTypes

/// A `/v1/status` snapshot with every kind of member: an established peer with drops, a dial
/// without ID or key, two subnet claims, a direct and a relayed route, host-wide drops.
enum StatusFixtures {
  static let a = PeerID(rawValue: 0xa1)
  static let b = PeerID(rawValue: 0xb2)
  static let c = PeerID(rawValue: 0xc3)
  static let keyA = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="
  static let keyB = "ESIzRFVmd4iZqrvM3e7/ABEiM0RVZneImaq7zN3u/wA="

  static var host: MeshStatus.HostFacts {
    MeshStatus.HostFacts(listen: "192.0.2.1:6786", bridge: "br0", tap: "meshtap0", mtu: 1425)
  }

  static var status: MeshStatus {
    var peerDrops = DropCounters()
    peerDrops[.mac1] = 3
    peerDrops[.replay] = 1
    var drops = DropCounters()
    drops[.mac1] = 5
    drops[.authentication] = 2
    let established = MeshStatus.Peer(
      id: b, nickname: "host-b", publicKey: keyB, endpoint: Endpoint("192.0.2.2:6786")!,
      state: "established", sessionAge: 12.25, lastHandshakeAgo: 185, rxBytes: 1024,
      txBytes: 2048, rxFrames: 8, txFrames: 16, handshakesCompleted: 2, drops: peerDrops)
    let dial = MeshStatus.Peer(
      id: nil, nickname: "", publicKey: nil, endpoint: Endpoint("192.0.2.9:6786")!,
      state: "connecting", sessionAge: nil, lastHandshakeAgo: nil, rxBytes: 0, txBytes: 0,
      rxFrames: 0, txFrames: 0, handshakesCompleted: 0, drops: DropCounters())
    var s = MeshStatus(
      id: a, nickname: "host-a", publicKey: keyA, peers: [established, dial], drops: drops,
      macTableSize: 4)
    s.members = 3
    s.subnet = IPv4Network("10.47.1.0/24")
    s.claims = [
      (peer: a, nickname: "host-a", subnet: IPv4Network("10.47.1.0/24")!),
      (peer: b, nickname: "host-b", subnet: IPv4Network("10.47.2.0/24")!),
    ]
    s.routes = [
      MeshStatus.Route(destination: b, nickname: "host-b", nextHop: b, hops: 1, isDirect: true),
      MeshStatus.Route(destination: c, nickname: "host-c", nextHop: b, hops: 2, isDirect: false),
    ]
    return s
  }

  /// The status document as the daemon serializes it.
  static var document: [UInt8] { status.json(host: host).serializedBytes() }
}
