import ArgumentParser
import MeshAPI

/// `meshd expose`: opens this host's own services to the mesh at run time (as `weave expose`).
struct Expose: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "expose",
    abstract: "Let containers and hosts across the mesh connect to this host's own addresses.")

  @OptionGroup var options: SocketOption

  func run() throws {
    _ = try ControlClient(socketPath: options.socket).json("POST", "/v1/expose")
    print("host exposed to the mesh")
  }
}

/// `meshd hide`: hides this host's own services from the mesh again (the default).
struct Hide: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hide",
    abstract: "Refuse new connections from across the mesh to this host's own addresses.")

  @OptionGroup var options: SocketOption

  func run() throws {
    _ = try ControlClient(socketPath: options.socket).json("POST", "/v1/hide")
    print("host hidden from the mesh")
  }
}
