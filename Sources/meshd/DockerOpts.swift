import ArgumentParser
import MeshAPI
import MeshCore

/// `meshd docker-opts`: prints the `dockerd` flags (or a `daemon.json` fragment) that put
/// Docker's containers on the mesh, read from the running daemon's status:
///
/// ```sh
/// dockerd $(meshd docker-opts)      # --bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425
/// meshd docker-opts --json          # {"bridge": "br0", "fixed-cidr": "10.47.5.0/24", "mtu": 1425}
/// ```
struct DockerOpts: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "docker-opts",
    abstract: "Print the dockerd flags for this host's bridge, subnet and MTU.")

  @OptionGroup var options: SocketOption

  @Flag(help: "Print a daemon.json fragment instead of command-line flags.")
  var json = false

  func run() throws {
    let (status, body) = try ControlClient(socketPath: options.socket).request("GET", "/v1/status")
    guard status == 200 else { throw CLIError("meshd answered \(status)") }
    print(try DockerOpts.render(body: body, json: json))
  }

  /// The output line for a `/v1/status` body; a one-line error when it has no usable subnet.
  static func render(body: [UInt8], json: Bool) throws -> String {
    let document: JSONValue
    do {
      document = try JSONValue.parse(body)
    } catch {
      throw CLIError("meshd sent a status that is not JSON: \(error.message)")
    }
    do {
      let opts = try DockerOptions(status: document)
      return json ? opts.daemonJSON : opts.commandLine
    } catch {
      throw CLIError(error.description)
    }
  }
}
