import Foundation

/// NAT on top of `TestNetwork`: segment 1 (`192.0.2.0/24`) is the internet; a router host on
/// segment 1 and a private segment forwards for the hosts behind it and masquerades them
/// (`iptables -t nat -A POSTROUTING -o mshu0 -j MASQUERADE`), with conntrack's UDP timeouts
/// set low so that a mapping no keepalive holds lapses within a test.
enum NATRig {
  /// The conntrack UDP timeouts set in each router, seconds: a mapping lapses after this long
  /// without traffic, well above meshd's 10 s keepalive and far below Linux's 120 s default.
  static let udpTimeout = 20

  /// Makes `router` (on segment 1 and `lanSegment`) a masquerading NAT for `lanSegment`, and
  /// gives each of `behind` a default route through it. `randomFully` maps every flow to a
  /// random port (a NAT that hole punching cannot pass).
  static func makeRouter(
    _ router: NetnsHost, wanSegment: Int = 1, lanSegment: Int, behind: [NetnsHost],
    randomFully: Bool = false
  ) throws {
    try router.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"]).check()
    var rule = [
      "iptables", "-t", "nat", "-A", "POSTROUTING", "-o",
      NetnsHost.underlayDevice(segment: wanSegment),
      "-j", "MASQUERADE",
    ]
    if randomFully { rule.append("--random-fully") }
    try router.run(rule).check()
    for key in ["nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream"] {
      try router.run(["sysctl", "-qw", "net.netfilter.\(key)=\(udpTimeout)"]).check()
    }
    for host in behind {
      try host.run([
        "ip", "route", "add", "default", "via", router.underlayIP(segment: lanSegment),
      ]).check()
    }
  }

  /// Makes `core` forward between its segments (an internet router with no NAT) and routes
  /// `routes` (host, destination network) through it.
  static func makeCore(_ core: NetnsHost, routes: [(NetnsHost, String, segment: Int)]) throws {
    try core.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"]).check()
    for (host, network, segment) in routes {
      try host.run(["ip", "route", "add", network, "via", core.underlayIP(segment: segment)])
        .check()
    }
  }

  /// Forwards UDP `port` on the router's internet address to `host` (a port forward).
  static func forward(_ router: NetnsHost, port: Int, to host: NetnsHost, segment: Int) throws {
    try router.run([
      "iptables", "-t", "nat", "-A", "PREROUTING", "-i", NetnsHost.underlayDevice(segment: 1),
      "-p", "udp", "--dport", "\(port)", "-j", "DNAT", "--to-destination",
      "\(host.underlayIP(segment: segment)):\(port)",
    ]).check()
  }
}
