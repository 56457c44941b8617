import ArgumentParser
import Logging
import MeshCore

/// The `meshd up` flags of the DNS server (service discovery), kept apart from `Up`'s own.
struct DNSOptions: ParsableArguments {
  @Flag(help: "Do not run the DNS server on the bridge address.")
  var noDNS = false

  @Option(help: "The domain the DNS server answers for (containers are NAME.DOMAIN).")
  var dnsDomain: String = DNSServerConfiguration.defaultDomain

  @Option(
    name: .customLong("dns-upstream"),
    help: "A resolver for other names, ADDRESS[:PORT]; repeatable (default: /etc/resolv.conf).")
  var dnsUpstreams: [String] = []

  @Option(help: "The DNS server's UDP and TCP port.")
  var dnsPort: Int = 53

  func validate() throws {
    guard domain != nil else {
      throw ValidationError(
        "--dns-domain \(dnsDomain) is not a domain name (letters, digits and hyphens, dot-separated)"
      )
    }
    for u in dnsUpstreams where Endpoint(u, defaultPort: ResolvConf.dnsPort) == nil {
      throw ValidationError("--dns-upstream \(u) is not ADDRESS[:PORT] with ADDRESS an IP address")
    }
    guard (1...65535).contains(dnsPort) else {
      throw ValidationError("--dns-port must be between 1 and 65535")
    }
  }

  /// The domain, lowercased, when it is a valid host name of at least one label.
  var domain: DNSName? {
    guard let name = DNSName(dnsDomain), !name.labels.isEmpty else { return nil }
    let ldh = name.labels.allSatisfy { label in
      label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
        && label.allSatisfy { b in
          (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "-")
        }
    }
    return ldh ? name.lowercased : nil
  }

  /// The server for these flags (nil with `--no-dns`), not yet started.
  func makeServer(bridge: String, names: NameDirectory, logger: Logger) -> DNSServer? {
    guard !noDNS, let domain else { return nil }
    var config = DNSServerConfiguration(bridge: bridge, domain: domain, logger: logger)
    config.port = UInt16(dnsPort)
    if !dnsUpstreams.isEmpty {
      config.upstreams = dnsUpstreams.compactMap { Endpoint($0, defaultPort: ResolvConf.dnsPort) }
    }
    return DNSServer(configuration: config, names: names)
  }
}
