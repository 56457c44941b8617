import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// Resolves host names to UDP endpoints through the C library (`getaddrinfo`, so
/// `/etc/hosts`, `nsswitch.conf` and the resolver all apply). Blocking: call it off the data
/// thread.
public enum NameResolver {
  /// Why a name did not resolve.
  public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The name asked for.
    public var host: String
    /// The C library's explanation.
    public var reason: String

    /// `cannot resolve HOST: REASON`.
    public var description: String { "cannot resolve \(host): \(reason)" }
  }

  /// The endpoints `host` resolves to at `port`, IPv4 first, without duplicates. A literal
  /// resolves to itself without a lookup. With `ipv4Only`, IPv6 addresses are left out (a
  /// socket bound to an IPv4 address cannot reach them).
  public static func resolve(_ host: HostPort, ipv4Only: Bool = false) throws(Failure)
    -> [Endpoint]
  {
    if let literal = host.literal { return [literal] }
    var hints = addrinfo()
    hints.ai_family = ipv4Only ? AF_INET : AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var head: UnsafeMutablePointer<addrinfo>?
    let rc = getaddrinfo(host.host, nil, &hints, &head)
    guard rc == 0 else {
      let text = gai_strerror(rc).map { String(cString: $0) } ?? "error \(rc)"
      throw Failure(host: host.host, reason: text)
    }
    defer { freeaddrinfo(head) }
    var v4: [Endpoint] = []
    var v6: [Endpoint] = []
    var cursor = head
    while let entry = cursor {
      defer { cursor = entry.pointee.ai_next }
      guard let sa = entry.pointee.ai_addr else { continue }
      let found = sa.withMemoryRebound(to: sockaddr_storage.self, capacity: 1) {
        Endpoint(reading: $0, length: entry.pointee.ai_addrlen)
      }
      guard var endpoint = found else { continue }
      endpoint.port = host.port
      if endpoint.isIPv6 {
        if !v6.contains(endpoint) { v6.append(endpoint) }
      } else if !v4.contains(endpoint) {
        v4.append(endpoint)
      }
    }
    let all = v4 + v6
    guard !all.isEmpty else { throw Failure(host: host.host, reason: "no usable address") }
    return all
  }
}
