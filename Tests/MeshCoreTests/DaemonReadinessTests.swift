import MeshAPI
import MeshCore
import Testing

/// When a starting daemon is ready, what it says while it is not, and how the status tells
/// "no IPAM" from "claim pending".
@Suite struct DaemonReadinessTests {
  func status(tap: String? = "up", bridge: String? = "attached", subnet: String? = nil)
    -> MeshStatus
  {
    var s = MeshStatus(
      id: PeerID(rawValue: 0x0123_4567_89ab_cdef), nickname: "h1", publicKey: "k", peers: [],
      drops: DropCounters(), macTableSize: 0)
    s.tapState = tap
    s.bridgeState = bridge
    s.subnet = subnet.flatMap(IPv4Network.init)
    return s
  }

  let withIPAM = MeshStatus.HostFacts(
    listen: "192.0.2.1:6786", bridge: "br0", tap: "meshtap0", mtu: 1425,
    ipamRange: IPv4Network("10.47.0.0/16"))
  let withoutIPAM = MeshStatus.HostFacts(
    listen: "192.0.2.1:6786", bridge: "br0", tap: "meshtap0", mtu: 1425)

  @Test func notReadyUntilTheTapIsAPortOfTheBridge() {
    for s in [status(tap: nil), status(tap: "recreating"), status(bridge: "missing")] {
      let r = DaemonReadiness(status: s, host: withoutIPAM)
      #expect(r == .joiningBridge(bridge: "br0"))
      #expect(!r.isReady)
      #expect(r.statusLine == "joining bridge br0")
    }
  }

  @Test func withIPAMNotReadyUntilTheSubnetIsClaimed() {
    let pending = DaemonReadiness(status: status(), host: withIPAM)
    #expect(pending == .claimPending(range: IPv4Network("10.47.0.0/16")!))
    #expect(pending.statusLine == "claim pending: claiming a subnet of 10.47.0.0/16")
    let ready = DaemonReadiness(status: status(subnet: "10.47.5.0/24"), host: withIPAM)
    #expect(ready.isReady)
    #expect(ready.statusLine == "ready: subnet 10.47.5.0/24 on br0, MTU 1425")
    #expect(
      ready
        == .ready(
          DockerEnvironmentFile(bridge: "br0", subnet: IPv4Network("10.47.5.0/24"), mtu: 1425)))
  }

  @Test func withoutIPAMReadyOnTheBridge() {
    let ready = DaemonReadiness(status: status(), host: withoutIPAM)
    #expect(ready == .ready(DockerEnvironmentFile(bridge: "br0", subnet: nil, mtu: 1425)))
    #expect(ready.statusLine == "ready on br0, MTU 1425 (no IPAM)")
  }

  @Test func withDNSReadyOnceItListensOnTheBridgeOrCannot() throws {
    var host = withIPAM
    let claimed = status(subnet: "10.47.5.0/24")
    host.dns = DNSStatus(address: nil, port: 53, domain: "mesh.internal", upstreams: [])
    let pending = DaemonReadiness(status: claimed, host: host)
    #expect(pending == .dnsPending)
    #expect(!pending.isReady)
    #expect(pending.statusLine == "starting the DNS server on the bridge address")

    // Still on the bridge's address from before the claim (in the range, not the subnet):
    // Docker must not be given it.
    host.dns?.address = "10.47.1.1"
    #expect(DaemonReadiness(status: claimed, host: host) == .dnsPending)
    #expect(throws: DockerOptionsError.dnsPending) {
      try DockerOptions(status: claimed, host: host)
    }

    host.dns?.address = "10.47.5.1"
    #expect(try DockerOptions(status: claimed, host: host).dnsServer == "10.47.5.1")
    guard case .ready(let file) = DaemonReadiness(status: claimed, host: host) else {
      Issue.record("not ready with DNS bound")
      return
    }
    #expect(
      file.dockerOptions
        == "--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425 --dns=10.47.5.1 "
        + "--dns-search=mesh.internal")
    #expect(file.contents.contains("--dns=10.47.5.1"))

    // Port 53 held by another server: ready without --dns rather than never.
    host.dns?.address = nil
    host.dns?.bindError = "Address already in use"
    guard case .ready(let without) = DaemonReadiness(status: claimed, host: host) else {
      Issue.record("a DNS bind failure blocks readiness")
      return
    }
    #expect(!without.dockerOptions.contains("--dns"))
  }

  @Test func dockerOptionsTellAPendingClaimFromNoIPAM() throws {
    #expect(throws: DockerOptionsError.claimPending) {
      try DockerOptions(status: status(), host: withIPAM)
    }
    #expect(throws: DockerOptionsError.noSubnet) {
      try DockerOptions(status: status(), host: withoutIPAM)
    }
    // The same through the JSON document the daemon serves.
    let pending = status().json(host: withIPAM)
    #expect(pending["ipam_range"]?.stringValue == "10.47.0.0/16")
    #expect(throws: DockerOptionsError.claimPending) { try DockerOptions(status: pending) }
    #expect(throws: DockerOptionsError.noSubnet) {
      try DockerOptions(status: status().json(host: withoutIPAM))
    }
    #expect(
      DockerOptionsError.claimPending.description
        == "meshd has not claimed its subnet yet (claim pending)")
  }

  @Test func statusAndMetricsCarryTheOneVersion() throws {
    let document = status().json(host: withIPAM)
    #expect(document["version"]?.stringValue == MeshVersion.current)
    let host = try MeshStatus.HostFacts(json: document)
    #expect(host.version == MeshVersion.current)
    #expect(host.ipamRange == IPv4Network("10.47.0.0/16"))
    #expect(
      MetricsServer.page(status(), facts: withIPAM).contains(
        "\nmeshd_build_info{version=\"\(MeshVersion.current)\"} 1\n"))
  }
}
