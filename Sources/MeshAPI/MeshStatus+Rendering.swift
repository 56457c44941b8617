import MeshLogic
import MeshTypes

/// The control API's renderings of a status snapshot: JSON for scripts and `meshd status`
/// (Prometheus text for `/metrics` is in `MetricsExposition`).
extension MeshStatus {
  /// Extra facts the node knows and the engine does not.
  public struct HostFacts: Sendable, Equatable {
    /// The bound underlay endpoint.
    public var listen: String
    /// The bridge name.
    public var bridge: String
    /// The TAP name.
    public var tap: String
    /// The mesh MTU.
    public var mtu: Int
    /// This host's IPAM subnet (Docker's `--fixed-cidr`); nil without IPAM or before a claim.
    public var subnet: IPv4Network?
    /// The DNS server's address, domain and counters; nil with `--no-dns`.
    public var dns: DNSStatus?
    /// The cluster's IPAM range when the daemon runs with IPAM: a nil `subnet` then means the
    /// claim is pending, not that there is no IPAM.
    public var ipamRange: IPv4Network?
    /// The daemon's version (``MeshVersion/current`` in the daemon).
    public var version: String

    /// Wraps the facts.
    public init(
      listen: String, bridge: String, tap: String, mtu: Int, subnet: IPv4Network? = nil,
      ipamRange: IPv4Network? = nil, version: String = MeshVersion.current
    ) {
      self.listen = listen
      self.bridge = bridge
      self.tap = tap
      self.mtu = mtu
      self.subnet = subnet
      self.ipamRange = ipamRange
      self.version = version
    }
  }

  static func dropsJSON(_ d: DropCounters) -> JSONValue {
    var o = JSONObject()
    for r in DropReason.allCases { o[r.description] = .int(Int(d[r])) }
    return .object(o)
  }

  static func object(_ pairs: [(String, JSONValue)]) -> JSONValue {
    var o = JSONObject()
    for (k, v) in pairs { o[k] = v }
    return .object(o)
  }

  static func count(_ v: UInt64) -> JSONValue { .int(Int(clamping: v)) }

  /// The `/v1/status` document.
  public func json(host: HostFacts) -> JSONValue {
    let peerList: [JSONValue] = peers.map { p in
      var fields: [(String, JSONValue)] = [
        ("peer_id", p.id.map { .string($0.description) } ?? .null),
        ("nickname", .string(p.nickname)),
        ("public_key", p.publicKey.map { .string($0) } ?? .null),
        ("endpoint", .string(p.endpoint.description)),
        ("state", .string(p.state)),
        ("session_age_seconds", p.sessionAge.map { .double($0) } ?? .null),
        ("last_handshake_seconds_ago", p.lastHandshakeAgo.map { .double($0) } ?? .null),
      ]
      fields += [
        ("rx_bytes", MeshStatus.count(p.rxBytes)), ("tx_bytes", MeshStatus.count(p.txBytes)),
        ("rx_frames", MeshStatus.count(p.rxFrames)), ("tx_frames", MeshStatus.count(p.txFrames)),
        ("handshakes_completed", MeshStatus.count(p.handshakesCompleted)),
        ("drops", MeshStatus.dropsJSON(p.drops)),
      ]
      fields += MeshStatus.diagnosticsJSON(p)
      if let mtu = p.pathMTU { fields.append(("path_mtu", .int(mtu))) }
      if let other = p.duplicateKeyEndpoint {
        // Two live hosts use this key: `endpoint` keeps it, `refused` is held off.
        fields.append(
          (
            "duplicate_key",
            MeshStatus.object([
              ("kept", .string(p.endpoint.description)),
              ("refused", .string(other.description)),
            ])
          ))
      }
      return MeshStatus.object(fields)
    }
    return MeshStatus.object(
      [
        ("peer_id", .string(id.description)),
        ("version", .string(host.version)),
        ("nickname", .string(nickname)),
        ("public_key", .string(publicKey)),
        ("listen", .string(host.listen)),
        ("bridge", .string(host.bridge)),
        ("bridge_state", bridgeState.map { .string($0) } ?? .null),
        ("tap", .string(host.tap)),
        ("tap_state", tapState.map { .string($0) } ?? .null),
        ("mtu", .int(host.mtu)),
        ("subnet", (subnet ?? host.subnet).map { .string($0.description) } ?? .null),
        ("ipam_range", host.ipamRange.map { .string($0.description) } ?? .null),
        ("mac_table_size", .int(macTableSize)),
        ("forwarded_datagrams", .int(Int(clamping: forwardedDatagrams))),
        ("members", .int(members)),
        ("contested_keys", .array(contestedKeys.map { .string($0.description) })),
        (
          "claims",
          .array(
            claims.map { c in
              MeshStatus.object([
                ("peer_id", .string(c.peer.description)), ("nickname", .string(c.nickname)),
                ("subnet", .string(c.subnet.description)),
              ])
            })
        ),
        (
          "routes",
          .array(
            routes.map { r in
              MeshStatus.object([
                ("peer_id", .string(r.destination.description)),
                ("nickname", .string(r.nickname)),
                ("next_hop", .string(r.nextHop.description)),
                ("hops", .int(r.hops)),
                ("connection", .string(r.isDirect ? "direct" : "relayed")),
                ("path", .string(r.isDirect ? (r.isPunched ? "punched" : "direct") : "relayed")),
                ("endpoint", r.endpoint.map { .string($0.description) } ?? .null),
                ("via", r.viaNickname.map { .string($0) } ?? .null),
                ("end_to_end", .bool(r.isEndToEnd)),
                ("in_state_seconds", r.inStateFor.map { .double($0) } ?? .null),
                ("last_error", r.lastError.map { .string($0) } ?? .null),
              ])
            })
        ),
        ("peers", .array(peerList)),
        ("drops", MeshStatus.dropsJSON(drops)),
        ("dns", host.dns?.json ?? .null),
      ] + diagnosticsJSON)
  }
}
