import ArgumentParser
import MeshAPI
import MeshCore

#if canImport(Glibc)
  import Glibc
#endif

/// `meshd dns add|remove|list`: names added by hand (for what is not a container: the host
/// itself, a VM), as `weave dns-add` did, and the list of every name the mesh serves.
struct DNS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dns", abstract: "Add, remove and list the mesh's names.",
    subcommands: [DNSAdd.self, DNSRemove.self, DNSList.self])
}

/// A name argument, lower-cased and checked against the DNS label rules before anything runs.
struct NameArgument: ParsableArguments {
  @Argument(help: "The name, relative to the mesh domain (web, db.prod).")
  var name: String

  func validate() throws {
    guard NameRules.normalized(name) != nil else {
      throw ValidationError(
        "\(name) is not a valid name: labels of letters, digits and hyphens, at most 63 bytes each")
    }
  }
}

/// `meshd dns add NAME ADDRESS`.
struct DNSAdd: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add",
    abstract: "Publish NAME for ADDRESS in this host's record (kept across restarts).")

  @OptionGroup var name: NameArgument
  @Argument(help: "The IPv4 address the name resolves to.")
  var address: String
  @OptionGroup var options: SocketOption

  func validate() throws {
    guard Endpoint.parseV4(address[...]) != nil else {
      throw ValidationError("\(address) is not an IPv4 address (A.B.C.D)")
    }
  }

  func run() throws {
    let name = NameRules.normalized(self.name.name)!
    let response = try ControlClient(socketPath: options.socket).request(
      "POST", "/v1/dns/add?name=\(name)&address=\(address)")
    guard response.status == 200 || response.status == 201 else {
      throw CLIError(DNSList.errorText(response))
    }
    print(response.status == 201 ? "added \(name) \(address)" : "\(name) \(address) already there")
    if let body = try? JSONValue.parse(response.body), body["served"] == .bool(false) {
      FileHandleStderr.write(
        "warning: \(address) is outside this host's subnet and the mesh's IPAM range: "
          + "the mesh will not serve \(name)\n")
    }
  }
}

/// `meshd dns remove NAME [ADDRESS]`.
struct DNSRemove: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove", abstract: "Remove a name added with dns add (at one address, or all).")

  @OptionGroup var name: NameArgument
  @Argument(help: "Only the entry for this IPv4 address.")
  var address: String?
  @OptionGroup var options: SocketOption

  func validate() throws {
    if let address, Endpoint.parseV4(address[...]) == nil {
      throw ValidationError("\(address) is not an IPv4 address (A.B.C.D)")
    }
  }

  func run() throws {
    let name = NameRules.normalized(self.name.name)!
    let query = "name=\(name)" + (address.map { "&address=\($0)" } ?? "")
    let response = try ControlClient(socketPath: options.socket).request(
      "POST", "/v1/dns/remove?\(query)")
    if response.status == 404 { throw CLIError("no name \(name) was added here") }
    guard response.status == 200 else { throw CLIError(DNSList.errorText(response)) }
    print("removed \(name)")
  }
}

/// `meshd dns list [--json]`.
struct DNSList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List every name the mesh serves, with its host.")

  @Flag(help: "Print the raw JSON document.")
  var json = false
  @OptionGroup var options: SocketOption

  func run() throws {
    let response = try ControlClient(socketPath: options.socket).request("GET", "/v1/dns")
    guard response.status == 200 else { throw CLIError(errorText(response)) }
    if json {
      try Status.writeStandardOutput(response.body + [10])
      return
    }
    guard let document = try? JSONValue.parse(response.body, maxInput: JSONParser.maxResponseInput),
      let list = NameList(json: document)
    else { throw CLIError("meshd sent a name list that does not decode") }
    print(list.text, terminator: "")
  }

  /// The daemon's error message, or its status code.
  static func errorText(_ response: HTTPResponse) -> String {
    if let body = try? JSONValue.parse(response.body), let error = body["error"]?.stringValue {
      return "meshd: \(error)"
    }
    return "meshd answered \(response.status)"
  }

  private func errorText(_ response: HTTPResponse) -> String { DNSList.errorText(response) }
}

/// Writes warnings to standard error.
enum FileHandleStderr {
  /// Writes `text` to standard error.
  static func write(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
  }
}
