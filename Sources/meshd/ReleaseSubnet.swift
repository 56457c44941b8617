import ArgumentParser
import MeshCore

/// `meshd release-subnet PEER_ID`: frees the IPAM subnet of a host that is gone for good.
struct ReleaseSubnet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "release-subnet",
    abstract: "Release the IPAM subnet of a host that has left the mesh for good.")

  @Argument(help: "The host's peer ID (16 hex digits, as `meshd status` shows it).")
  var peer: String

  @OptionGroup var options: SocketOption

  func validate() throws {
    guard PeerID(peer) != nil else {
      throw ValidationError("\(peer) is not a peer ID (16 hex digits)")
    }
  }

  func run() throws {
    _ = try ControlClient(socketPath: options.socket).json("POST", "/v1/release?peer=\(peer)")
    print("released the subnet of \(peer)")
  }
}
