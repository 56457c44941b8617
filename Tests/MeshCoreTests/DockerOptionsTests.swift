import MeshAPI
import MeshCore
import Testing

@Suite struct DockerOptionsTests {
  func status(_ extra: String) throws -> JSONValue {
    try JSONValue.parse(Array("{\"listen\": \"0.0.0.0:6786\", \"bridge\": \"br0\", \(extra)}".utf8))
  }

  @Test func formatsFlagsAndDaemonJSON() throws {
    let opts = try DockerOptions(status: status("\"mtu\": 1425, \"subnet\": \"10.47.5.0/24\""))
    #expect(
      opts == DockerOptions(bridge: "br0", fixedCIDR: IPv4Network("10.47.5.0/24")!, mtu: 1425))
    #expect(opts.commandLine == "--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425")
    #expect(
      opts.daemonJSON == "{\"bridge\": \"br0\", \"fixed-cidr\": \"10.47.5.0/24\", \"mtu\": 1425}")
    // The fragment is JSON that reads back to the same values.
    let back = try JSONValue.parse(Array(opts.daemonJSON.utf8))
    #expect(back["bridge"]?.stringValue == "br0")
    #expect(back["fixed-cidr"]?.stringValue == "10.47.5.0/24")
    #expect(back["mtu"]?.intValue == 1425)
  }

  @Test func statusRenderedByTheDaemonCarriesTheSubnet() throws {
    let facts = MeshStatus.HostFacts(
      listen: "192.0.2.1:6786", bridge: "br0", tap: "meshtap0", mtu: 1425,
      subnet: IPv4Network("10.47.9.0/24"))
    let object: JSONValue = [
      "bridge": .string(facts.bridge), "mtu": .int(facts.mtu),
      "subnet": facts.subnet.map { .string($0.description) } ?? .null,
    ]
    let opts = try DockerOptions(status: object)
    #expect(opts.commandLine == "--bridge=br0 --fixed-cidr=10.47.9.0/24 --mtu=1425")
  }

  @Test func noSubnetIsOneClearError() throws {
    #expect(throws: DockerOptionsError.noSubnet) {
      try DockerOptions(status: status("\"mtu\": 1425, \"subnet\": null"))
    }
    #expect(throws: DockerOptionsError.noSubnet) {
      try DockerOptions(status: status("\"mtu\": 1425"))
    }
    #expect(
      DockerOptionsError.noSubnet.description
        == "meshd has no subnet: start it with --ipam-range")
  }

  @Test func malformedStatusIsRejectedNamingTheField() throws {
    #expect(throws: DockerOptionsError.invalidField("subnet")) {
      try DockerOptions(status: status("\"mtu\": 1425, \"subnet\": \"10.47.5.1/24\""))
    }
    #expect(throws: DockerOptionsError.invalidField("subnet")) {
      try DockerOptions(status: status("\"mtu\": 1425, \"subnet\": 7"))
    }
    #expect(throws: DockerOptionsError.invalidField("mtu")) {
      try DockerOptions(status: status("\"subnet\": \"10.47.5.0/24\""))
    }
    #expect(throws: DockerOptionsError.invalidField("bridge")) {
      try DockerOptions(status: ["mtu": 1425, "subnet": "10.47.5.0/24"])
    }
    #expect(throws: DockerOptionsError.notAnObject) { try DockerOptions(status: .array([])) }
  }

  @Test func dnsServerAddsDNSAndSearchDomain() throws {
    let dns = "\"dns\": {\"address\": \"10.47.5.1\", \"port\": 53, \"domain\": \"mesh.internal\"}"
    let opts = try DockerOptions(
      status: status("\"mtu\": 1425, \"subnet\": \"10.47.5.0/24\", \(dns)"))
    #expect(
      opts.commandLine
        == "--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425 --dns=10.47.5.1 --dns-search=mesh.internal"
    )
    let back = try JSONValue.parse(Array(opts.daemonJSON.utf8))
    #expect(back["dns"] == .array([.string("10.47.5.1")]))
    #expect(back["dns-search"] == .array([.string("mesh.internal")]))
    // The typed path (what `meshd docker-opts` uses): the daemon's document, read back.
    var facts = StatusFixtures.host
    facts.dns = DNSStatus(address: "10.47.5.1", port: 53, domain: "mesh.internal", upstreams: [])
    facts.dns?.queries = 7
    let document = StatusFixtures.status.json(host: facts)
    let decoded = try MeshStatus.HostFacts(json: document)
    #expect(decoded.dns == facts.dns)
    var withSubnet = decoded
    withSubnet.subnet = IPv4Network("10.47.5.0/24")
    let typed = try DockerOptions(status: StatusFixtures.status, host: withSubnet)
    #expect(typed.dnsServer == "10.47.5.1" && typed.dnsSearch == "mesh.internal")
  }

  @Test func noDNSFlagsWhenOffFailedOrOnAnotherPort() throws {
    for dns in [
      "\"dns\": null",
      "\"dns\": {\"address\": null, \"bind_error\": \"in use\", \"port\": 53, \"domain\": \"x\"}",
      "\"dns\": {\"address\": \"10.47.5.1\", \"port\": 5353, \"domain\": \"mesh.internal\"}",
    ] {
      let opts = try DockerOptions(
        status: status("\"mtu\": 1425, \"subnet\": \"10.47.5.0/24\", \(dns)"))
      #expect(opts.commandLine == "--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425")
      #expect(!opts.daemonJSON.contains("dns"))
    }
  }

  @Test func aDNSServerNotBoundYetMakesTheOptionsWait() {
    #expect(throws: DockerOptionsError.dnsPending) {
      try DockerOptions(
        status: status(
          "\"mtu\": 1425, \"subnet\": \"10.47.5.0/24\", "
            + "\"dns\": {\"address\": null, \"port\": 53, \"domain\": \"mesh.internal\"}"))
    }
  }
}
