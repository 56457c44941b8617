import MeshTypes

/// Reads the upstream resolvers from `/etc/resolv.conf` text: its `nameserver` lines, port 53.
public enum ResolvConf {
  /// The DNS port.
  public static let dnsPort: UInt16 = 53

  /// The `nameserver` addresses of `text`, in order, without repeats and without `excluding`
  /// (the server's own address: forwarding to itself would loop). Comments (`#`, `;`) and
  /// other lines are ignored; IPv6 scoped addresses (`fe80::1%eth0`) are skipped.
  public static func nameservers(_ text: String, excluding: Set<Endpoint.Address> = [])
    -> [Endpoint]
  {
    var result: [Endpoint] = []
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count >= 2, fields[0] == "nameserver" else { continue }
      let address: Endpoint.Address
      if let v4 = Endpoint.parseV4(fields[1]) {
        address = .v4(v4)
      } else if let v6 = Endpoint.parseV6(fields[1]) {
        address = v6
      } else {
        continue
      }
      let endpoint = Endpoint(address: address, port: dnsPort)
      guard !excluding.contains(address), !result.contains(endpoint) else { continue }
      result.append(endpoint)
    }
    return result
  }
}
