import MeshAPI
import MeshCore
import Testing

/// The environment file meshd writes for dockerd (systemd's EnvironmentFile= syntax).
@Suite struct DockerEnvironmentFileTests {
  @Test func withIPAMCarriesTheSubnetAndTheFlagsOfDockerOpts() {
    let file = DockerEnvironmentFile(bridge: "br0", subnet: IPv4Network("10.47.5.0/24"), mtu: 1425)
    #expect(file.dockerOptions == "--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425")
    #expect(
      file.dockerOptions
        == DockerOptions(bridge: "br0", fixedCIDR: IPv4Network("10.47.5.0/24")!, mtu: 1425)
        .commandLine)
    let lines = file.contents.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.first?.hasPrefix("# Written by meshd \(MeshVersion.current)") == true)
    #expect(
      Array(lines.dropFirst()) == [
        "MESHD_BRIDGE=\"br0\"", "MESHD_SUBNET=10.47.5.0/24", "MESHD_MTU=1425",
        "MESHD_DOCKER_OPTS=\"--bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425\"", "",
      ])
  }

  @Test func withoutIPAMDockerTakesTheBridgesNetwork() {
    let file = DockerEnvironmentFile(bridge: "br-mesh", subnet: nil, mtu: 1380)
    #expect(file.dockerOptions == "--bridge=br-mesh --mtu=1380")
    #expect(file.contents.contains("\nMESHD_SUBNET=\n"))
    #expect(file.contents.contains("\nMESHD_DOCKER_OPTS=\"--bridge=br-mesh --mtu=1380\"\n"))
  }

  @Test func quotesAndBackslashesAreEscaped() {
    let file = DockerEnvironmentFile(bridge: "a\"b\\c", subnet: nil, mtu: 1425)
    #expect(file.contents.contains("MESHD_BRIDGE=\"a\\\"b\\\\c\"\n"))
  }
}
