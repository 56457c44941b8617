import Foundation

/// The parts of `meshd status --json` (`GET /v1/status`) that the tests read.
///
/// This is the one place that knows the JSON field names: if the daemon renames a field, fix
/// the `CodingKeys` here. Unknown fields are ignored, and every field is optional, so a missing
/// or retyped field shows up as a failed expectation on that field rather than as a decoding
/// error for the whole document.
struct StatusView: Decodable, Sendable {
  /// The `state` value of a peer with a working session.
  static let establishedState = "established"

  /// One entry of `peers`.
  struct Peer: Decodable, Sendable {
    /// 16 hex digits.
    var peerID: String?
    /// The peer's hostname.
    var nickname: String?
    /// Base64 X25519 public key.
    var publicKey: String?
    /// `HOST:PORT` of the peer's underlay endpoint.
    var endpoint: String?
    /// `established`, `handshaking` or `idle`.
    var state: String?
    /// Seconds since the current session was made.
    var sessionAgeSeconds: Double?
    /// Seconds since the last completed handshake.
    var lastHandshakeSecondsAgo: Double?
    /// Bytes received from this peer.
    var rxBytes: Int?
    /// Bytes sent to this peer.
    var txBytes: Int?
    /// Frames received from this peer.
    var rxFrames: Int?
    /// Frames sent to this peer.
    var txFrames: Int?
    /// Handshakes completed with this peer since start.
    var handshakesCompleted: Int?
    /// Per-reason drop counters for this peer (`replay`, `auth`, `malformed`, …).
    var drops: [String: Int]
    /// `kept` and `refused` endpoints when two live hosts use this peer's key; nil normally.
    var duplicateKey: [String: String]?
    /// The path MTU measured towards this peer; nil while not measured.
    var pathMTU: Int?

    enum CodingKeys: String, CodingKey {
      case peerID = "peer_id"
      case nickname
      case publicKey = "public_key"
      case endpoint
      case state
      case sessionAgeSeconds = "session_age_seconds"
      case lastHandshakeSecondsAgo = "last_handshake_seconds_ago"
      case rxBytes = "rx_bytes"
      case txBytes = "tx_bytes"
      case rxFrames = "rx_frames"
      case txFrames = "tx_frames"
      case handshakesCompleted = "handshakes_completed"
      case drops
      case duplicateKey = "duplicate_key"
      case pathMTU = "path_mtu"
    }

    /// Decodes leniently: a field of an unexpected type reads as nil.
    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      peerID = try? c.decodeIfPresent(String.self, forKey: .peerID)
      nickname = try? c.decodeIfPresent(String.self, forKey: .nickname)
      publicKey = try? c.decodeIfPresent(String.self, forKey: .publicKey)
      endpoint = try? c.decodeIfPresent(String.self, forKey: .endpoint)
      state = try? c.decodeIfPresent(String.self, forKey: .state)
      sessionAgeSeconds = try? c.decodeIfPresent(Double.self, forKey: .sessionAgeSeconds)
      lastHandshakeSecondsAgo = try? c.decodeIfPresent(
        Double.self, forKey: .lastHandshakeSecondsAgo)
      rxBytes = StatusView.integer(c, .rxBytes)
      txBytes = StatusView.integer(c, .txBytes)
      rxFrames = StatusView.integer(c, .rxFrames)
      txFrames = StatusView.integer(c, .txFrames)
      handshakesCompleted = StatusView.integer(c, .handshakesCompleted)
      drops = StatusView.counters(c, .drops)
      duplicateKey = try? c.decodeIfPresent([String: String].self, forKey: .duplicateKey)
      pathMTU = StatusView.integer(c, .pathMTU)
    }

    /// Whether the peer has a working session.
    var isEstablished: Bool { state == StatusView.establishedState }

    /// The host part of `endpoint` (`192.0.2.2` for `192.0.2.2:6786`).
    var endpointHost: String? {
      guard let endpoint else { return nil }
      if endpoint.hasPrefix("["), let close = endpoint.firstIndex(of: "]") {
        return String(endpoint[endpoint.index(after: endpoint.startIndex)..<close])
      }
      return endpoint.split(separator: ":").first.map(String.init)
    }
  }

  /// One entry of `routes`: how this host reaches a member of the mesh.
  struct Route: Decodable, Sendable {
    /// The `connection` value of a member reached over its own session.
    static let directConnection = "direct"
    /// The `connection` value of a member reached through another host.
    static let relayedConnection = "relayed"

    /// The member's peer ID.
    var peerID: String?
    /// The member's nickname, from its gossiped record.
    var nickname: String?
    /// The neighbour that frames for the member go to (the member itself when direct).
    var nextHop: String?
    /// Hops on the route; 1 when direct.
    var hops: Int?
    /// `direct` or `relayed`.
    var connection: String?
    /// `direct`, `punched` or `relayed`.
    var path: String?
    /// The next hop's name, when relayed.
    var via: String?
    /// Why a relayed member is not direct.
    var lastError: String?
    /// Whether frames for a relayed member go end to end (the relays pass them on unopened).
    var endToEnd: Bool?

    enum CodingKeys: String, CodingKey {
      case peerID = "peer_id"
      case nickname
      case nextHop = "next_hop"
      case hops
      case connection
      case path
      case via
      case lastError = "last_error"
      case endToEnd = "end_to_end"
    }

    /// Decodes leniently: a field of an unexpected type reads as nil.
    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      peerID = try? c.decodeIfPresent(String.self, forKey: .peerID)
      nickname = try? c.decodeIfPresent(String.self, forKey: .nickname)
      nextHop = try? c.decodeIfPresent(String.self, forKey: .nextHop)
      hops = StatusView.integer(c, .hops)
      connection = try? c.decodeIfPresent(String.self, forKey: .connection)
      path = try? c.decodeIfPresent(String.self, forKey: .path)
      via = try? c.decodeIfPresent(String.self, forKey: .via)
      lastError = try? c.decodeIfPresent(String.self, forKey: .lastError)
      endToEnd = try? c.decodeIfPresent(Bool.self, forKey: .endToEnd)
    }

    /// Whether the member is reached over its own session.
    var isDirect: Bool { connection == Route.directConnection }
    /// Whether the member is reached through another host.
    var isRelayed: Bool { connection == Route.relayedConnection }
  }

  /// This daemon's peer ID.
  var peerID: String?
  /// This daemon's hostname.
  var nickname: String?
  /// This daemon's public key.
  var publicKey: String?
  /// The listen endpoint.
  var listen: String?
  /// The bridge name.
  var bridge: String?
  /// The TAP name.
  var tap: String?
  /// `attached`, or `missing` while the bridge is gone.
  var bridgeState: String?
  /// `up`, or `recreating` while the TAP is lost.
  var tapState: String?
  /// Known peers.
  var peers: [Peer]
  /// Daemon-wide drop counters (`mac1`, `malformed`, …).
  var drops: [String: Int]
  /// Every member this host can reach, direct or relayed.
  var routes: [Route]
  /// Hosts in the gossiped topology, this host included.
  var members: Int?
  /// Learned MAC addresses.
  var macTableSize: Int?
  /// Forwarded datagrams of other members this host passed on unopened.
  var forwardedDatagrams: Int?
  /// This host's subnet (IPAM claim or bridge network), when it has one.
  var subnet: String?
  /// Keys two live hosts appear to use (a cloned host), this host's own included.
  var contestedKeys: [String]

  enum CodingKeys: String, CodingKey {
    case peerID = "peer_id"
    case nickname
    case publicKey = "public_key"
    case listen
    case bridge
    case bridgeState = "bridge_state"
    case tap
    case tapState = "tap_state"
    case peers
    case drops
    case routes
    case members
    case macTableSize = "mac_table_size"
    case forwardedDatagrams = "forwarded_datagrams"
    case contestedKeys = "contested_keys"
    case subnet
  }

  /// Decodes leniently: a field of an unexpected type reads as nil (or empty).
  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    peerID = try? c.decodeIfPresent(String.self, forKey: .peerID)
    nickname = try? c.decodeIfPresent(String.self, forKey: .nickname)
    publicKey = try? c.decodeIfPresent(String.self, forKey: .publicKey)
    listen = try? c.decodeIfPresent(String.self, forKey: .listen)
    bridge = try? c.decodeIfPresent(String.self, forKey: .bridge)
    tap = try? c.decodeIfPresent(String.self, forKey: .tap)
    bridgeState = try? c.decodeIfPresent(String.self, forKey: .bridgeState)
    tapState = try? c.decodeIfPresent(String.self, forKey: .tapState)
    peers = (try? c.decodeIfPresent([Peer].self, forKey: .peers)) ?? []
    drops = StatusView.counters(c, .drops)
    routes = (try? c.decodeIfPresent([Route].self, forKey: .routes)) ?? []
    members = StatusView.integer(c, .members)
    macTableSize = StatusView.integer(c, .macTableSize)
    forwardedDatagrams = StatusView.integer(c, .forwardedDatagrams)
    subnet = try? c.decodeIfPresent(String.self, forKey: .subnet)
    contestedKeys = (try? c.decodeIfPresent([String].self, forKey: .contestedKeys)) ?? []
  }

  /// Decodes a status document, with the raw text in the error if it is not JSON at all.
  static func decode(_ text: String) throws -> StatusView {
    do {
      return try JSONDecoder().decode(StatusView.self, from: Data(text.utf8))
    } catch {
      throw HarnessError("status is not the expected JSON (\(error)):\n\(text)")
    }
  }

  /// The peers whose state is `established`.
  var establishedPeers: [Peer] { peers.filter(\.isEstablished) }

  /// The peer with this peer ID, if listed.
  func peer(id: String?) -> Peer? {
    guard let id else { return nil }
    return peers.first { $0.peerID == id }
  }

  /// The route to the member with this peer ID, if listed.
  func route(to id: String?) -> Route? {
    guard let id else { return nil }
    return routes.first { $0.peerID == id }
  }

  /// Whether the peer with this peer ID is listed with an established session.
  func isEstablished(with id: String?) -> Bool {
    peer(id: id)?.isEstablished == true
  }

  /// The first peer whose endpoint host is `host`, if listed.
  func peer(endpointHost host: String) -> Peer? {
    peers.first { $0.endpointHost == host }
  }

  /// The sum of the daemon-wide and all per-peer drop counters named in `reasons`.
  func dropCount(_ reasons: String...) -> Int {
    let all = [drops] + peers.map(\.drops)
    return all.reduce(0) { sum, table in
      sum + reasons.reduce(0) { $0 + (table[$1] ?? 0) }
    }
  }

  /// The sum of every drop counter, daemon-wide and per peer.
  var totalDrops: Int {
    ([drops] + peers.map(\.drops)).reduce(0) { $0 + $1.values.reduce(0, +) }
  }

  /// Reads a JSON number (integer or not) as an `Int`.
  fileprivate static func integer<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K)
    -> Int?
  {
    if let value = try? c.decodeIfPresent(Int.self, forKey: key) { return value }
    if let value = try? c.decodeIfPresent(Double.self, forKey: key) { return Int(value) }
    return nil
  }

  /// Reads an object of counters, ignoring members that are not numbers.
  fileprivate static func counters<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K)
    -> [String: Int]
  {
    guard let nested = try? c.nestedContainer(keyedBy: AnyKey.self, forKey: key) else {
      return [:]
    }
    var result: [String: Int] = [:]
    for k in nested.allKeys {
      if let v = try? nested.decode(Int.self, forKey: k) {
        result[k.stringValue] = v
      } else if let v = try? nested.decode(Double.self, forKey: k) {
        result[k.stringValue] = Int(v)
      }
    }
    return result
  }
}

/// A coding key for objects with arbitrary member names.
private struct AnyKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}
