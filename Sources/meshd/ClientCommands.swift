import ArgumentParser
import MeshAPI
import MeshCore

#if canImport(Glibc)
  import Glibc
#endif

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
      // The daemon's document as sent, byte for byte, and a newline.
      let response = try client.request("GET", "/v1/status")
      guard response.status == 200 else { throw CLIError("meshd answered \(response.status)") }
      try Status.writeStandardOutput(response.body + [10])
      return
    }
    let (status, host) = try client.status()
    print(MeshStatusText.render(status, host: host), terminator: "")
  }

  /// Writes all of `bytes` to standard output, continuing after short writes.
  static func writeStandardOutput(_ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw CLIError("cannot write to standard output (errno \(errno))") }
      offset += n
    }
  }
}

/// The `HOST[:PORT]` argument of `connect` and `forget`, checked before anything runs.
struct EndpointArgument: ParsableArguments {
  @Argument(help: "The peer, HOST[:PORT].")
  var endpoint: String

  func validate() throws {
    guard HostPort(endpoint) != nil else {
      throw ValidationError(
        "\(endpoint) is not HOST[:PORT] with HOST a host name or an IP address")
    }
  }

  /// The parsed host and port (valid once `validate` passed).
  var value: HostPort { HostPort(endpoint)! }
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
