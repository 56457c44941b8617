import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// The addresses of this host's network interfaces, for announcing where a daemon listening
/// on a wildcard address can be reached.
public enum InterfaceAddresses {
  /// Every address, with `port`, of the interfaces that are up, except loopback, link-local
  /// (169.254/16, fe80::/10) and the interfaces named in `exclude` (the mesh's own bridge and
  /// TAP, whose addresses live inside the mesh). IPv4 only unless `includeIPv6`. Sorted, so
  /// the list is stable from one start to the next.
  public static func announceable(
    port: UInt16, exclude: Set<String>, includeIPv6: Bool
  ) -> [Endpoint] {
    var head: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&head) == 0 else { return [] }
    defer { freeifaddrs(head) }
    var found: [Endpoint] = []
    var cursor = head
    while let entry = cursor {
      defer { cursor = entry.pointee.ifa_next }
      guard let sa = entry.pointee.ifa_addr, let cname = entry.pointee.ifa_name,
        entry.pointee.ifa_flags & UInt32(IFF_UP) != 0,
        entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0
      else { continue }
      if exclude.contains(String(cString: cname)) { continue }
      let family = Int32(sa.pointee.sa_family)
      let length =
        family == AF_INET
        ? MemoryLayout<sockaddr_in>.size
        : family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : 0
      guard length > 0 else { continue }
      let read = sa.withMemoryRebound(to: sockaddr_storage.self, capacity: 1) {
        Endpoint(reading: $0, length: socklen_t(length))
      }
      guard var endpoint = read, endpoint.isAnnounceable else { continue }
      if endpoint.isIPv6, !includeIPv6 { continue }
      endpoint.port = port
      if !found.contains(endpoint) { found.append(endpoint) }
    }
    return found.sorted { $0.description < $1.description }
  }
}
