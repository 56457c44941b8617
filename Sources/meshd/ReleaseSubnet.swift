import ArgumentParser
import MeshAPI
import MeshCore
import MeshIO

/// `meshd release-subnet PEER_ID`: frees the IPAM subnet of a host that is gone for good.
///
/// Retiring another host's record is an operator's act: with `--operator-key-file`, the
/// daemon signs a tombstone for the host with that key and gossips it, and every host started
/// with the matching `--operator-key` retires the host too. Without it the release is local to
/// this daemon (a member cannot retire another member's record on its own word).
struct ReleaseSubnet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "release-subnet",
    abstract: "Release the IPAM subnet of a host that has left the mesh for good.")

  @Argument(help: "The host's peer ID (16 hex digits, as `meshd status` shows it).")
  var peer: String

  @Option(
    help:
      "An operator key file (from meshd gen-operator-key, mode 0600): the release spreads to every host that trusts it."
  )
  var operatorKeyFile: String?

  @OptionGroup var options: SocketOption

  func validate() throws {
    guard PeerID(peer) != nil else {
      throw ValidationError("\(peer) is not a peer ID (16 hex digits)")
    }
  }

  func run() throws {
    var body: [UInt8] = []
    if let operatorKeyFile {
      var bytes: [UInt8]
      do {
        bytes = try SecureFile.read(operatorKeyFile, requirePrivate: true)
      } catch {
        throw CLIError("\(error)")
      }
      defer { Sodium.memzero(&bytes) }
      guard (try? OperatorKey(base64: SecureFile.text(bytes))) != nil else {
        throw CLIError(
          "\(operatorKeyFile): not a base64 operator key (make one with meshd gen-operator-key)")
      }
      body = JSONValue.object(["operator_key": .string(SecureFile.text(bytes))]).serializedBytes()
    }
    defer { Sodium.memzero(&body) }
    let answer = try ControlClient(socketPath: options.socket).json(
      "POST", "/v1/release?peer=\(peer)", body: body)
    let everywhere = answer["mesh_wide"] == .bool(true)
    print(
      everywhere
        ? "released the subnet of \(peer) on every host that trusts this operator key"
        : "released the subnet of \(peer) on this host (no operator key: other hosts keep it)")
  }
}
