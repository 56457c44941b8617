import MeshLogic
import MeshTypes

/// The `/metrics` page: a status snapshot in Prometheus' text exposition format (0.0.4).
///
/// Every figure is read from the snapshot the engine already keeps (its counters live in the
/// peers' state and are counted on the data path without locks or allocation); nothing is
/// counted through a metrics library per packet. Names follow Prometheus' rules: a `meshd_`
/// prefix, base units in the name (`_bytes`, `_seconds`), `_total` on counters, and `_info`
/// for the build's labels.
public enum MetricsExposition {
  /// The content type of the page.
  public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  /// The page for `status`, from a build of `version`.
  public static func render(_ status: MeshStatus, version: String) -> String {
    var page = Page()
    page.family("meshd_build_info", "gauge", "The meshd build, as labels; always 1.") {
      $0.sample("{version=\"\(escape(version))\"}", 1)
    }
    let established = status.peers.filter { $0.state == "established" }.count
    page.gauge("meshd_peers", "Known peers and endpoints being dialled.", status.peers.count)
    page.gauge("meshd_peers_established", "Peers with a live session.", established)
    page.gauge(
      "meshd_members", "Members in the gossiped topology, this host included, departed ones not.",
      status.members)
    page.gauge(
      "meshd_departed_members", "Members released for good (their records are tombstones).",
      status.departed.count)
    page.gauge(
      "meshd_contested_keys",
      "Keys two live hosts appear to use (a cloned host), this host's own included.",
      status.contestedKeys.count)
    page.gauge("meshd_mac_table_entries", "Learned MAC addresses.", status.macTableSize)
    if let u = status.ipam {
      let range = "{range=\"\(u.range)\"}"
      page.family("meshd_ipam_subnets_used", "gauge", "IPAM subnets claimed by a member.") {
        $0.sample(range, Double(u.used))
      }
      page.family("meshd_ipam_subnets_free", "gauge", "IPAM subnets nobody holds.") {
        $0.sample(range, Double(u.free))
      }
    }
    renderPeers(status, into: &page)
    renderRoutes(status, into: &page)
    page.family(
      "meshd_forwarded_datagrams_total", "counter",
      "End-to-end datagrams of other members passed on unopened."
    ) { $0.sample("", Double(status.forwardedDatagrams)) }
    page.family("meshd_drops_total", "counter", "Dropped datagrams and frames, by reason.") {
      for r in DropReason.allCases { $0.sample("{reason=\"\(r)\"}", Double(status.drops[r])) }
    }
    return page.text
  }

  /// Per-peer families: up, handshake age and attempts, round trip, traffic and drops.
  static func renderPeers(_ status: MeshStatus, into page: inout Page) {
    let known = status.peers.filter { $0.id != nil }
    func label(_ p: MeshStatus.Peer, _ extra: String = "") -> String {
      "{peer=\"\(p.id!)\",nickname=\"\(escape(p.nickname))\"\(extra)}"
    }
    page.family("meshd_peer_up", "gauge", "1 while the peer has a live session, else 0.") { f in
      for p in known { f.sample(label(p), p.state == "established" ? 1 : 0) }
    }
    page.family(
      "meshd_peer_last_handshake_seconds", "gauge",
      "Seconds since the last completed handshake with the peer."
    ) { f in
      for p in known { if let age = p.lastHandshakeAgo { f.sample(label(p), age) } }
    }
    page.family(
      "meshd_peer_handshake_attempts", "gauge",
      "Handshake attempts since the peer last came up or went down."
    ) { f in
      for p in known { f.sample(label(p), Double(p.attempts)) }
    }
    page.family(
      "meshd_peer_round_trip_seconds", "gauge",
      "Round trip to the peer's current endpoint, as path choice measured it."
    ) { f in
      for p in known { if let rtt = p.roundTrip { f.sample(label(p), rtt) } }
    }
    page.family(
      "meshd_peer_path_mtu_bytes", "gauge", "The largest underlay packet the path carries whole."
    ) { f in
      for p in known { if let mtu = p.pathMTU { f.sample(label(p), Double(mtu)) } }
    }
    let counters: [(String, String, (MeshStatus.Peer) -> UInt64)] = [
      ("meshd_peer_rx_bytes_total", "Decrypted bytes received from the peer.", \.rxBytes),
      ("meshd_peer_tx_bytes_total", "Bytes sent to the peer, before encryption.", \.txBytes),
      ("meshd_peer_rx_frames_total", "Frames received from the peer.", \.rxFrames),
      ("meshd_peer_tx_frames_total", "Frames sent to the peer.", \.txFrames),
      ("meshd_peer_handshakes_total", "Handshakes completed with the peer.", \.handshakesCompleted),
    ]
    for (name, help, value) in counters {
      page.family(name, "counter", help) { f in
        for p in known { f.sample(label(p), Double(value(p))) }
      }
    }
    page.family(
      "meshd_peer_drops_total", "counter",
      "Drops attributed to the peer, by reason (reasons with drops only)."
    ) { f in
      for p in known {
        for (reason, n) in p.drops.nonZero {
          f.sample(label(p, ",reason=\"\(reason)\""), Double(n))
        }
      }
    }
  }

  /// Per-member path families: how each reachable member is reached, over how many hops, and
  /// whether a relayed one is reached end to end.
  static func renderRoutes(_ status: MeshStatus, into page: inout Page) {
    func label(_ r: MeshStatus.Route) -> String {
      "{peer=\"\(r.destination)\",nickname=\"\(escape(r.nickname))\""
    }
    page.family(
      "meshd_member_path", "gauge",
      "1 for how the member is reached: path is direct, punched (direct through NAT) or "
        + "relayed (via names the next hop)."
    ) { f in
      for r in status.routes {
        let path = r.isDirect ? (r.isPunched ? "punched" : "direct") : "relayed"
        let via = r.isDirect ? "" : escape(r.viaNickname ?? r.nextHop.description)
        f.sample(label(r) + ",path=\"\(path)\",via=\"\(via)\"}", 1)
      }
    }
    page.family("meshd_member_hops", "gauge", "Hops on the route to the member; 1 when direct.") {
      f in
      for r in status.routes { f.sample(label(r) + "}", Double(r.hops)) }
    }
    page.family(
      "meshd_member_end_to_end", "gauge",
      "For a relayed member: 1 while its frames travel in a session of its own that relays "
        + "pass on unopened, 0 while they are opened and sealed again at every hop."
    ) { f in
      for r in status.routes where !r.isDirect {
        f.sample(label(r) + "}", r.isEndToEnd ? 1 : 0)
      }
    }
  }

  /// A label value with `\`, `"` and newlines escaped, as the format requires.
  static func escape(_ s: String) -> String {
    var r = ""
    for c in s {
      switch c {
      case "\\": r += "\\\\"
      case "\"": r += "\\\""
      case "\n": r += "\\n"
      default: r.append(c)
      }
    }
    return r
  }

  /// The page being written.
  struct Page {
    var text = ""

    /// One sample writer, for the family being written.
    struct Family {
      let name: String
      var text = ""

      /// Appends `name{labels} value`.
      mutating func sample(_ labels: String, _ value: Double) {
        text += "\(name)\(labels) \(MetricsExposition.number(value))\n"
      }
    }

    /// Writes a family's HELP and TYPE lines and its samples.
    mutating func family(
      _ name: String, _ type: String, _ help: String, _ samples: (inout Family) -> Void
    ) {
      var f = Family(name: name)
      samples(&f)
      text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" + f.text
    }

    /// A gauge with one unlabelled sample.
    mutating func gauge(_ name: String, _ help: String, _ value: Int) {
      family(name, "gauge", help) { $0.sample("", Double(value)) }
    }
  }

  /// A sample value: integers without a fraction, others as Swift prints a Double (which the
  /// format accepts, `1e-05` included).
  static func number(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
    if v == v.rounded(), v.magnitude < 0x1p53 { return String(Int64(v)) }
    return "\(v)"
  }
}
