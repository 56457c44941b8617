import MeshLogic
import MeshTypes

/// The human form of `meshd status`, rendered from the typed status the CLI decoded: the
/// host, its peers with sessions, traffic and drops, the subnet claims, the routes, and the
/// drops in all. `-` stands for a value the daemon does not have (a dial's peer ID, a subnet
/// without IPAM).
public enum MeshStatusText {
  /// The text for `status` and `host`, ending with a newline.
  public static func render(_ status: MeshStatus, host: MeshStatus.HostFacts) -> String {
    var out = ""
    // No subnet: "-" without IPAM, "claim pending" while the claim settles.
    let subnet =
      (status.subnet ?? host.subnet)?.description
      ?? host.ipamRange.map { "claim pending (\($0))" } ?? "-"
    out += "meshd \(DisplayText.escaped(status.nickname)) (\(status.id))\n"
    out += "  public key  \(status.publicKey)\n"
    let bridgeNote = status.bridgeState.map { $0 == "attached" ? "" : " (\($0))" } ?? ""
    let tapNote = status.tapState.map { $0 == "up" ? "" : " (\($0))" } ?? ""
    out += "  listening   \(host.listen)   bridge \(host.bridge)\(bridgeNote)"
    out += "   tap \(host.tap)\(tapNote)"
    out += "   mtu \(host.mtu)   macs \(status.macTableSize)\n"
    out += "  subnet      \(subnet)   members \(status.members)"
    out += status.departed.isEmpty ? "\n" : "   departed \(status.departed.count)\n"
    if let u = status.ipam {
      out += "  ipam        \(u.range) in /\(u.subnetSize): \(u.used) used, \(u.free) free\n"
    }
    for key in status.contestedKeys {
      let whose =
        key == status.id
        ? "this host's key" : "the key of \(key)"
      out += "  WARNING: two live hosts appear to use \(whose) (their signed records keep"
      out += " replacing each other): give the clone a new key (meshd genkey)\n"
    }
    out += "\npeers (\(status.peers.count)):\n"
    for p in status.peers {
      out += "  \(p.nickname.isEmpty ? "?" : DisplayText.escaped(p.nickname)) "
      out += "(\(p.id?.description ?? "-"))  \(p.endpoint)  \(p.state)"
      if let t = p.stateFor { out += " for \(seconds(t))" }
      out += p.attempts > 0 ? ", \(p.attempts) attempt(s)\n" : "\n"
      if let e = p.lastError, p.state != "established" {
        out += "    last error: \(DisplayText.escaped(e))\n"
      }
      out += "    session age \(seconds(p.sessionAge))"
      out += "  last handshake \(seconds(p.lastHandshakeAgo)) ago"
      out += "  handshakes \(p.handshakesCompleted)\n"
      out += "    rx \(p.rxBytes) B / \(p.rxFrames) frames"
      out += "  tx \(p.txBytes) B / \(p.txFrames) frames\n"
      out += "    dropped \(dropList(p.drops))\n"
      if let mtu = p.pathMTU { out += "    path MTU \(mtu)\n" }
      if let other = p.duplicateKeyEndpoint {
        out += "    WARNING: duplicate key: another host at \(other) uses this key (refused);"
        out += " give one of them a new key (meshd genkey)\n"
      }
    }
    if !status.claims.isEmpty {
      out += "\nsubnet claims (\(status.claims.count)):\n"
      for c in status.claims {
        out += "  \(c.subnet)  \(DisplayText.escaped(c.nickname)) (\(c.peer))\n"
      }
    }
    out += "\nroutes (\(status.routes.count)):\n"
    for r in status.routes {
      var how: String
      if r.isDirect {
        how = r.isPunched ? "punched" : "direct"
        if let e = r.endpoint { how += " at \(e)" }
      } else {
        let via = r.viaNickname.map { "\(DisplayText.escaped($0)) (\(r.nextHop))" }
        how = "relayed via \(via ?? r.nextHop.description), \(r.hops) hops"
        if r.isEndToEnd { how += ", end to end" }
      }
      if let t = r.inStateFor { how += ", for \(seconds(t))" }
      out += "  \(DisplayText.escaped(r.nickname)) (\(r.destination))  \(how)\n"
      if let e = r.lastError { out += "    why: \(DisplayText.escaped(e))\n" }
    }
    if !status.departed.isEmpty {
      out += "\ndeparted (\(status.departed.count)):\n"
      for m in status.departed {
        out += "  \(DisplayText.escaped(m.nickname)) (\(m.id))  departed\n"
      }
    }
    if status.forwardedDatagrams > 0 {
      out += "\nforwarded unopened for other members: \(status.forwardedDatagrams) datagrams\n"
    }
    out += "\ndropped in all: \(dropList(status.drops))\n"
    return out
  }

  /// `reason=count` for every non-zero counter, sorted as text, or `none`.
  static func dropList(_ drops: DropCounters) -> String {
    let items = drops.nonZero.map { "\($0.0)=\($0.1)" }.sorted()
    return items.isEmpty ? "none" : items.joined(separator: " ")
  }

  /// A duration: tenths of seconds below two minutes (`12.5s`), whole minutes above (`7m`),
  /// `-` when unknown.
  static func seconds(_ value: Double?) -> String {
    guard let v = value else { return "-" }
    return v < 120 ? fixed(v, fractionDigits: 1) + "s" : fixed(v / 60, fractionDigits: 0) + "m"
  }

  /// `value` with 0 or 1 fraction digits as C's `%.0f` / `%.1f` print it: rounded from the
  /// exact binary value, ties to even (`0.25` gives `0.2`, `0.35` gives `0.3`, `2.5` gives
  /// `2`). Written out because MeshCore and the CLI do not link Foundation's `String(format:)`.
  static func fixed(_ value: Double, fractionDigits: Int) -> String {
    precondition(fractionDigits == 0 || fractionDigits == 1, "0 or 1 fraction digits")
    guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
    let sign = value.sign == .minus ? "-" : ""
    let magnitude = value.magnitude
    let scale: UInt64 = fractionDigits == 0 ? 1 : 10
    let units: UInt64
    if magnitude >= 0x1p60 {
      // Far beyond any duration: an integer already, printed plainly.
      return sign + magnitude.description
    } else if magnitude < 0x1p-20 {
      units = 0
    } else {
      // magnitude = significand * 2^(exponent - 52), exactly, with a 53-bit significand.
      let significand = (1 << 52) | magnitude.significandBitPattern
      let shift = 52 - Int(magnitude.exponent)
      let scaled = significand * scale  // < 2^57: no overflow
      if shift <= 0 {
        units = scaled << UInt64(-shift)
      } else if shift >= 58 {
        units = 0  // scaled / 2^shift < 1/2
      } else {
        let whole = scaled >> UInt64(shift)
        let rest = scaled & ((1 << UInt64(shift)) - 1)
        let half: UInt64 = 1 << UInt64(shift - 1)
        units = rest > half || (rest == half && whole & 1 == 1) ? whole + 1 : whole
      }
    }
    return fractionDigits == 0
      ? sign + "\(units)" : sign + "\(units / scale).\(units % scale)"
  }
}
