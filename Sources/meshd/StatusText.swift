import Foundation

/// The human form of `meshd status`.
enum StatusText {
  static func render(_ s: [String: Any]) -> String {
    var out = ""
    func str(_ d: [String: Any], _ k: String) -> String {
      switch d[k] {
      case let v as String: v
      case let v as NSNumber: v.stringValue
      default: "-"
      }
    }
    func seconds(_ d: [String: Any], _ k: String) -> String {
      guard let v = d[k] as? Double else { return "-" }
      return v < 120 ? String(format: "%.1fs", v) : String(format: "%.0fm", v / 60)
    }
    out += "meshd \(str(s, "nickname")) (\(str(s, "peer_id")))\n"
    out += "  public key  \(str(s, "public_key"))\n"
    out += "  listening   \(str(s, "listen"))   bridge \(str(s, "bridge"))   tap \(str(s, "tap"))"
    out += "   mtu \(str(s, "mtu"))   macs \(str(s, "mac_table_size"))\n"
    out += "  subnet      \(str(s, "subnet"))   members \(str(s, "members"))\n"
    let peers = s["peers"] as? [[String: Any]] ?? []
    out += "\npeers (\(peers.count)):\n"
    for p in peers {
      out += "  \(str(p, "nickname").isEmpty ? "?" : str(p, "nickname")) "
      out += "(\(str(p, "peer_id")))  \(str(p, "endpoint"))  \(str(p, "state"))\n"
      out += "    session age \(seconds(p, "session_age_seconds"))"
      out += "  last handshake \(seconds(p, "last_handshake_seconds_ago")) ago"
      out += "  handshakes \(str(p, "handshakes_completed"))\n"
      out += "    rx \(str(p, "rx_bytes")) B / \(str(p, "rx_frames")) frames"
      out += "  tx \(str(p, "tx_bytes")) B / \(str(p, "tx_frames")) frames\n"
      let drops = (p["drops"] as? [String: Any] ?? [:]).compactMap { k, v -> String? in
        guard let n = v as? NSNumber, n.intValue > 0 else { return nil }
        return "\(k)=\(n)"
      }.sorted()
      out += "    dropped \(drops.isEmpty ? "none" : drops.joined(separator: " "))\n"
    }
    let claims = s["claims"] as? [[String: Any]] ?? []
    if !claims.isEmpty {
      out += "\nsubnet claims (\(claims.count)):\n"
      for c in claims {
        out += "  \(str(c, "subnet"))  \(str(c, "nickname")) (\(str(c, "peer_id")))\n"
      }
    }
    let routes = s["routes"] as? [[String: Any]] ?? []
    out += "\nroutes (\(routes.count)):\n"
    for r in routes {
      let how =
        str(r, "connection") == "direct"
        ? "direct" : "relayed via \(str(r, "next_hop")), \(str(r, "hops")) hops"
      out += "  \(str(r, "nickname")) (\(str(r, "peer_id")))  \(how)\n"
    }
    let drops = (s["drops"] as? [String: Any] ?? [:]).compactMap { k, v -> String? in
      guard let n = v as? NSNumber, n.intValue > 0 else { return nil }
      return "\(k)=\(n)"
    }.sorted()
    out += "\ndropped in all: \(drops.isEmpty ? "none" : drops.joined(separator: " "))\n"
    return out
  }
}
