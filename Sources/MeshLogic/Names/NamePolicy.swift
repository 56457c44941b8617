import MeshTypes

/// Which names of the mesh are served: the rules a host applies to the names in the records
/// it holds before they reach its DNS directory.
///
/// A record's signature proves who published a name, not that the name points at something
/// of the publisher's; so a member gone bad could publish `web` pointing at another member's
/// container, and take part of its clients. The address rule closes that: a name is served
/// only when its address lies inside the subnet its publisher claims (IPAM), the slice of
/// the segment where that host's containers live. Manual names (the host itself, a VM on its
/// bridge) may also point anywhere inside this host's mesh range (the IPAM range, the
/// bridge's network). A publisher without a subnet claim (a mesh without IPAM, whose
/// `--fixed-cidr` slices the mesh cannot see) is held to the mesh range when this host has
/// one, and is trusted otherwise.
public enum NamePolicy {
  /// Whether `entry`, published in `record`, may be served by a host whose mesh range is
  /// `meshRange` (nil without IPAM).
  public static func servable(
    _ entry: NameEntry, in record: PeerRecord, meshRange: IPv4Network?
  ) -> Bool {
    guard entry.host == record.id else { return false }
    if let subnet = record.subnet {
      if subnet.contains(entry.address) { return true }
      return entry.kind == .manual && meshRange?.contains(entry.address) == true
    }
    return meshRange?.contains(entry.address) ?? true
  }

  /// Every servable name of the live hosts in `records`: hosts that are not departed, not
  /// released by the operator (`released`), and reachable (`isLive`, which is true for this
  /// host). Returns the entries, ordered by host then canonically, and how many names were
  /// refused by the address rule.
  public static func collect(
    _ records: some Sequence<PeerRecord>, meshRange: IPv4Network?, released: Set<PeerID>,
    isLive: (PeerID) -> Bool
  ) -> (entries: [NameEntry], refused: Int) {
    var entries: [NameEntry] = []
    var refused = 0
    for record in records.sorted(by: { $0.id < $1.id })
    where !record.names.isEmpty && !record.departed && !released.contains(record.id)
      && isLive(record.id)
    {
      for entry in record.names {
        if servable(entry, in: record, meshRange: meshRange) {
          entries.append(entry)
        } else {
          refused += 1
        }
      }
    }
    return (entries, refused)
  }
}
