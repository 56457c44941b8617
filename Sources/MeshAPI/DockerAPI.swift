import MeshLogic
import MeshTypes

/// The few Docker Engine API calls meshd makes, and the decoding of their answers into the
/// values the name registry works with (`LocalContainer`). Pure: the socket I/O is the
/// watcher's (`MeshCore`).
///
/// Docker's JSON is untrusted input like any other: it is parsed with the bounded
/// `JSONParser`, and names and labels are checked as DNS labels later
/// (`ContainerNames.naming`).
public enum DockerAPI {
  /// The running containers (`docker ps`), each with its labels, exposed ports and the
  /// addresses of its networks.
  public static let containersPath = "/containers/json"

  /// The events that can change a name: containers starting, dying or renamed, and
  /// containers connected to or disconnected from a network. URL-encoded
  /// `{"type":["container","network"],"event":["start","die","rename","connect","disconnect"]}`.
  public static let eventsPath =
    "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%2C%22event%22%3A"
    + "%5B%22start%22%2C%22die%22%2C%22rename%22%2C%22connect%22%2C%22disconnect%22%5D%7D"

  /// The longest event line kept: a line past it ends the stream (the watcher re-lists).
  public static let maxEventLine = 64 * 1024

  /// The request bytes for `GET path` (HTTP/1.1; the engine's API is unversioned here so any
  /// engine answers with its own version).
  public static func request(_ path: String) -> [UInt8] {
    Array(
      "GET \(path) HTTP/1.1\r\nHost: docker\r\nUser-Agent: meshd\r\nAccept: application/json\r\n\r\n"
        .utf8)
  }

  /// Decodes the answer of `containersPath`: an array of container objects. Containers that
  /// lack an ID or a name are skipped; fields of the wrong type count as absent.
  public static func containers(_ body: [UInt8]) throws(JSONError) -> [LocalContainer] {
    guard case .array(let items) = try JSONValue.parse(body, maxInput: JSONParser.maxResponseInput)
    else { throw JSONError(offset: 0, message: "expected an array of containers") }
    return items.compactMap(container)
  }

  /// One container object of the list.
  static func container(_ item: JSONValue) -> LocalContainer? {
    guard let id = item["Id"]?.stringValue, case .array(let names)? = item["Names"],
      let first = names.first?.stringValue
    else { return nil }
    let name = first.hasPrefix("/") ? String(first.dropFirst()) : first
    var addresses: [UInt32] = []
    if case .object(let networks)? = item["NetworkSettings"]?["Networks"] {
      for member in networks.members {
        if let text = member.value["IPAddress"]?.stringValue,
          let address = Endpoint.parseV4(text[...])
        {
          addresses.append(address)
        }
      }
    }
    var ports: [UInt16] = []
    if case .array(let list)? = item["Ports"] {
      for port in list where port["Type"]?.stringValue == "tcp" {
        if let p = port["PrivatePort"]?.intValue, let value = UInt16(exactly: p) {
          ports.append(value)
        }
      }
    }
    return LocalContainer(
      id: id, name: name, service: item["Labels"]?[LocalContainer.serviceLabel]?.stringValue,
      addresses: addresses, tcpPorts: ports)
  }

  /// One event of the stream, reduced to what naming needs.
  public struct Event: Equatable, Sendable {
    /// `container`, `network`, …
    public var type: String
    /// `start`, `die`, `connect`, …
    public var action: String
    /// The container the event is about (for network events, the one connected or
    /// disconnected); empty when the event names none.
    public var container: String

    /// Whether the event can change a name: a container's start, die or rename, or a
    /// network's connect or disconnect.
    public var changesNames: Bool {
      switch type {
      case "container": return ["start", "die", "rename"].contains(action)
      case "network": return ["connect", "disconnect"].contains(action)
      default: return false
      }
    }
  }

  /// Decodes an event line (one JSON object); nil when it is not one.
  public static func event(_ line: [UInt8]) -> Event? {
    guard let event = try? JSONValue.parse(line, maxInput: maxEventLine),
      let type = event["Type"]?.stringValue, let action = event["Action"]?.stringValue
    else { return nil }
    let actor = event["Actor"]
    let container =
      type == "network"
      ? actor?["Attributes"]?["container"]?.stringValue : actor?["ID"]?.stringValue
    return Event(type: type, action: action, container: container ?? "")
  }

  /// Whether an event line is one that can change a name (`Event.changesNames`).
  public static func isNamingEvent(_ line: [UInt8]) -> Bool {
    event(line)?.changesNames ?? false
  }
}
