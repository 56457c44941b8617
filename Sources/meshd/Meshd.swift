import ArgumentParser
import MeshCore

/// The meshd command line: key tools, bridge set-up, the daemon, and clients of its control
/// socket. Scripts and operators rely on these names; extend them, don't rename them.
@main
struct Meshd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "meshd",
    abstract: "An encrypted layer-2 mesh for container hosts.",
    version: MeshVersion.current,
    subcommands: [
      GenKey.self, PubKey.self, GenSecret.self, GenOperatorKey.self, OperatorPubKey.self,
      CreateBridge.self, Up.self, Status.self, Connect.self, Forget.self, ReleaseSubnet.self,
      DockerOpts.self, DNS.self, Expose.self, Hide.self,
    ])
}

/// The default control socket path, shared by the daemon and its clients.
let defaultSocketPath = "/run/meshd.sock"

/// A failure with one line of explanation for the operator.
struct CLIError: Error, CustomStringConvertible {
  let description: String
  init(_ message: String) { description = message }
}

/// Options every client command takes.
struct SocketOption: ParsableArguments {
  @Option(help: "The daemon's control socket.")
  var socket: String = defaultSocketPath
}
