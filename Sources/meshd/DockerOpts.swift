import ArgumentParser
import MeshAPI
import MeshCore

/// `meshd docker-opts`: prints the `dockerd` flags (or a `daemon.json` fragment) that put
/// Docker's containers on the mesh, read from the running daemon's status:
///
/// ```sh
/// dockerd $(meshd docker-opts)      # --bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425 \
///                                   #   --dns=10.47.5.1 --dns-search=mesh.internal
/// meshd docker-opts --json          # {"bridge": "br0", "fixed-cidr": "10.47.5.0/24", "mtu": 1425}
/// ```
struct DockerOpts: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "docker-opts",
    abstract: "Print the dockerd flags for this host's bridge, subnet, MTU and DNS.")

  @OptionGroup var options: SocketOption

  @Flag(help: "Print a daemon.json fragment instead of command-line flags.")
  var json = false

  func run() throws {
    let (status, host) = try ControlClient(socketPath: options.socket).status()
    do {
      let opts = try DockerOptions(status: status, host: host)
      print(json ? opts.daemonJSON : opts.commandLine)
    } catch {
      throw CLIError(error.description)
    }
  }
}
