import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// Finds the MTU of the underlay: the network the encrypted datagrams travel on. The mesh MTU
/// is that minus the overhead, so a full-size frame from a container always fits in one
/// underlay packet.
public enum UnderlayMTU {
  /// The MTU assumed when nothing better is known: Ethernet's.
  public static let fallback = 1500

  /// The MTU of the interface that holds `listen`'s address; for a wildcard address, the
  /// smallest MTU among the interfaces with an IPv4 address other than loopback and `exclude`
  /// (the mesh's own bridge and TAP). `fallback` when none is found.
  public static func detect(listen: Endpoint, exclude: Set<String>) -> Int {
    var candidates: [String] = []
    var head: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&head) == 0 else { return fallback }
    defer { freeifaddrs(head) }
    var cursor = head
    while let entry = cursor {
      defer { cursor = entry.pointee.ifa_next }
      guard let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET),
        let cname = entry.pointee.ifa_name
      else { continue }
      let name = String(cString: cname)
      if name == "lo" || exclude.contains(name) { continue }
      let address = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
        UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
      }
      if case .v4(let wanted) = listen.address, wanted != 0 {
        if address == wanted { candidates = [name] }
      } else {
        candidates.append(name)
      }
    }
    guard !candidates.isEmpty, let netlink = try? RouteNetlink() else { return fallback }
    let mtus = candidates.compactMap { try? netlink.linkInfo(name: $0)?.mtu }.filter { $0 > 0 }
    return mtus.min() ?? fallback
  }
}
