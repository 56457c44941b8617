/// The nftables rules that keep this host's own services private to the mesh, as `nft -f`
/// scripts: pure text, built here and applied by `HostFirewall`.
///
/// Frames from the mesh enter the bridge through the TAP port. A bridge-family chain marks
/// them (one bit of the packet mark, the other bits kept); the host then sees such a packet
/// arrive on the bridge itself, and an inet-family input chain refuses new TCP and UDP
/// connections that carry the mark. Everything else passes: replies to connections the host
/// opened (conntrack's established), ICMP (ping), frames forwarded to containers (the input
/// hook sees only what the host itself receives), and local containers, which reach the
/// bridge through their own veth ports and carry no mark (the host's DNS on the bridge
/// address, for one). Each script replaces both tables in one transaction.
public enum HostExposureRules {
  /// The tables' name, in the `bridge` and `inet` families.
  public static let table = "meshd"
  /// The packet mark bit for frames that came from the mesh.
  public static let markBit: UInt32 = 0x0010_0000

  /// The script that installs meshd's tables for `bridge` and its TAP `tap`: with
  /// `exposed` false, new TCP and UDP connections from the mesh to this host are refused.
  public static func install(bridge: String, tap: String, exposed: Bool) -> String {
    let mark = "0x" + String(markBit, radix: 16, uppercase: false)
    var script = remove()
    script += """
      table bridge \(table) {
        chain prerouting {
          type filter hook prerouting priority -200; policy accept;
          iifname "\(tap)" meta mark set meta mark | \(mark) comment "meshd: from the mesh"
        }
      }
      table inet \(table) {
        chain input {
          type filter hook input priority -10; policy accept;

      """
    if !exposed {
      let from = "iifname \"\(bridge)\" meta mark & \(mark) == \(mark) ct state new"
      script += """
            \(from) meta l4proto tcp counter reject with tcp reset comment "meshd: host hidden from the mesh (meshd expose opens it)"
            \(from) meta l4proto udp counter reject with icmpx admin-prohibited comment "meshd: host hidden from the mesh (meshd expose opens it)"

        """
    }
    script += """
        }
      }

      """
    return script
  }

  /// The script that removes meshd's tables (and succeeds when they are absent).
  public static func remove() -> String {
    """
    table bridge \(table) {}
    delete table bridge \(table)
    table inet \(table) {}
    delete table inet \(table)

    """
  }
}
