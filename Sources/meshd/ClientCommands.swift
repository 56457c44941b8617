import ArgumentParser
import Foundation
import MeshCore

/// `meshd status`: the daemon's peers and sessions, for people or (with --json) scripts.
struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Show the daemon's peers and sessions.")

  @OptionGroup var options: SocketOption

  @Flag(help: "Print the raw JSON document.")
  var json = false

  func run() throws {
    let client = ControlClient(socketPath: options.socket)
    if json {
      let (status, body) = try client.request("GET", "/v1/status")
      guard status == 200 else { throw CLIError("meshd answered \(status)") }
      FileHandle.standardOutput.write(Data(body + [10]))
      return
    }
    print(StatusText.render(try client.json("GET", "/v1/status")), terminator: "")
  }
}

/// The `HOST[:PORT]` argument of `connect` and `forget`, checked before anything runs.
struct EndpointArgument: ParsableArguments {
  @Argument(help: "The peer, HOST[:PORT].")
  var endpoint: String

  func validate() throws {
    guard Endpoint(endpoint) != nil else {
      throw ValidationError("\(endpoint) is not HOST[:PORT] with HOST an IP address")
    }
  }

  /// The parsed endpoint (valid once `validate` passed).
  var value: Endpoint { Endpoint(endpoint)! }
}

/// `meshd connect HOST[:PORT]`: asks the daemon to connect to a peer.
struct Connect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "connect", abstract: "Connect the running daemon to a peer.")

  @OptionGroup var peer: EndpointArgument
  @OptionGroup var options: SocketOption

  func run() throws {
    let e = peer.value
    _ = try ControlClient(socketPath: options.socket).json("POST", "/v1/connect?endpoint=\(e)")
    print("connecting to \(e)")
  }
}

/// `meshd forget HOST[:PORT]`: asks the daemon to drop a peer and stop reconnecting.
struct Forget: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forget", abstract: "Drop a peer and stop reconnecting to it.")

  @OptionGroup var peer: EndpointArgument
  @OptionGroup var options: SocketOption

  func run() throws {
    let e = peer.value
    _ = try ControlClient(socketPath: options.socket).json("POST", "/v1/forget?endpoint=\(e)")
    print("forgot \(e)")
  }
}
