import MeshLogic
import MeshTypes

/// Typed reads of the daemon's `/v1/status` document, the inverse of `json(host:)`: `meshd
/// status` and `meshd docker-opts` decode the answer into these values instead of picking at
/// string keys. Members the decoder does not know are ignored, so an older CLI reads a newer
/// daemon's document; a missing or malformed member it needs is an error naming it.
extension MeshStatus {
  /// Reads the status part of a `/v1/status` document; `HostFacts(json:)` reads the rest. The
  /// document's `subnet` lands in `subnet`.
  public init(json: JSONValue) throws(StatusDecodingError) {
    let f = try JSONFields(json)
    self.init(
      id: try f.parsed("peer_id") { PeerID($0) }, nickname: try f.string("nickname"),
      publicKey: try f.string("public_key"),
      peers: try f.array("peers") { v, p throws(StatusDecodingError) in try Peer(json: v, path: p)
      },
      drops: try MeshStatus.dropCounters(f.value("drops"), path: f.path("drops")),
      macTableSize: try f.int("mac_table_size"))
    members = try f.int("members")
    if f.contains("forwarded_datagrams") { forwardedDatagrams = try f.count("forwarded_datagrams") }
    subnet = try f.optionalParsed("subnet") { IPv4Network($0) }
    claims = try f.array("claims") { v, p throws(StatusDecodingError) in
      let c = try JSONFields(v, path: p)
      return (
        peer: try c.parsed("peer_id") { PeerID($0) }, nickname: try c.string("nickname"),
        subnet: try c.parsed("subnet") { IPv4Network($0) }
      )
    }
    if f.contains("contested_keys") {
      contestedKeys = try f.array("contested_keys") { v, p throws(StatusDecodingError) in
        guard case .string(let text) = v, let id = PeerID(text) else {
          throw StatusDecodingError(path: p)
        }
        return id
      }
    }
    bridgeState = try f.optionalString("bridge_state")
    tapState = try f.optionalString("tap_state")
    routes = try f.array("routes") { v, p throws(StatusDecodingError) in
      try Route(json: v, path: p)
    }
    try decodeDiagnostics(f)
  }

  /// Drop counters from an object of `reason: count` members; reasons this build does not
  /// know are ignored, missing ones are zero.
  static func dropCounters(_ value: JSONValue, path: String) throws(StatusDecodingError)
    -> DropCounters
  {
    let f = try JSONFields(value, path: path)
    var drops = DropCounters()
    for reason in DropReason.allCases where f.contains(reason.description) {
      drops[reason] = try f.count(reason.description)
    }
    return drops
  }
}

extension MeshStatus.Peer {
  /// Reads one member of the document's `peers` array; `path` names it in errors.
  init(json: JSONValue, path: String) throws(StatusDecodingError) {
    let f = try JSONFields(json, path: path)
    self.init(
      id: try f.optionalParsed("peer_id") { PeerID($0) }, nickname: try f.string("nickname"),
      publicKey: try f.optionalString("public_key"),
      endpoint: try f.parsed("endpoint") { Endpoint($0) }, state: try f.string("state"),
      sessionAge: try f.optionalDouble("session_age_seconds"),
      lastHandshakeAgo: try f.optionalDouble("last_handshake_seconds_ago"),
      rxBytes: try f.count("rx_bytes"), txBytes: try f.count("tx_bytes"),
      rxFrames: try f.count("rx_frames"), txFrames: try f.count("tx_frames"),
      handshakesCompleted: try f.count("handshakes_completed"),
      drops: try MeshStatus.dropCounters(f.value("drops"), path: f.path("drops")),
      duplicateKeyEndpoint: try MeshStatus.Peer.duplicateKeyEndpoint(f),
      pathMTU: f.contains("path_mtu") ? try f.int("path_mtu") : nil)
    try decodeDiagnostics(f)
  }

  /// The refused endpoint of `duplicate_key`, absent or null when there is no duplicate.
  static func duplicateKeyEndpoint(_ f: JSONFields) throws(StatusDecodingError) -> Endpoint? {
    guard f.contains("duplicate_key") else { return nil }
    let value = try f.value("duplicate_key")
    if case .null = value { return nil }
    let d = try JSONFields(value, path: f.path("duplicate_key"))
    return try d.parsed("refused") { Endpoint($0) }
  }
}

extension MeshStatus.Route {
  /// Reads one member of the document's `routes` array; `path` names it in errors.
  init(json: JSONValue, path: String) throws(StatusDecodingError) {
    let f = try JSONFields(json, path: path)
    let isDirect: Bool
    switch try f.string("connection") {
    case "direct": isDirect = true
    case "relayed": isDirect = false
    default: throw StatusDecodingError(path: f.path("connection"))
    }
    self.init(
      destination: try f.parsed("peer_id") { PeerID($0) }, nickname: try f.string("nickname"),
      nextHop: try f.parsed("next_hop") { PeerID($0) }, hops: try f.int("hops"),
      isDirect: isDirect)
    isPunched = try f.optionalString("path") == "punched"
    endpoint = try f.optionalParsed("endpoint") { Endpoint($0) }
    viaNickname = try f.optionalString("via")
    isEndToEnd = try f.optionalBool("end_to_end") ?? false
    inStateFor = try f.optionalDouble("in_state_seconds")
    lastError = try f.optionalString("last_error")
  }
}

extension MeshStatus.HostFacts {
  /// Reads the host facts of a `/v1/status` document. `subnet` stays nil: the document has one
  /// subnet, which `MeshStatus(json:)` reads.
  public init(json: JSONValue) throws(StatusDecodingError) {
    let f = try JSONFields(json)
    self.init(
      listen: try f.string("listen"), bridge: try f.string("bridge"), tap: try f.string("tap"),
      mtu: try f.int("mtu"), ipamRange: try f.optionalParsed("ipam_range") { IPv4Network($0) },
      version: json["version"]?.stringValue ?? "unknown")
    dns = json["dns"].flatMap(DNSStatus.init(json:))
  }
}
