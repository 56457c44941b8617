import ArgumentParser
import MeshCore

/// `meshd up`'s options for the name registry: where the Docker engine listens, or that
/// there is none to follow.
struct NameOptions: ParsableArguments {
  @Option(help: "The Docker engine's API socket to follow for container names.")
  var dockerSocket: String = "/var/run/docker.sock"

  @Flag(help: "Do not follow the Docker engine (names come from meshd dns add only).")
  var noDocker = false

  /// The registry for this host: the manual names saved in `state` (a bad names file is an
  /// error naming it), and the Docker socket unless `--no-docker`.
  func registry(host: PeerID, state: StateDirectory) throws -> NameRegistry {
    try NameRegistry(
      host: host, stateDirectory: state, dockerSocket: noDocker ? nil : dockerSocket)
  }
}
