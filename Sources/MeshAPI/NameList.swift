import MeshLogic
import MeshTypes

/// The answer of `GET /v1/dns`: every name the mesh serves, and what this host could not
/// publish or refused, in the JSON both the daemon and the CLI use.
///
/// `{"names": [{"name", "kind", "address", "ports", "host"}...], "unpublished": N,
/// "refused": N}`; kinds are `container`, `service`, `manual`.
public struct NameList: Equatable, Sendable {
  /// The names, by host then canonically.
  public var names: [NameEntry]
  /// Local names left out of this host's record (over `NameLimits`).
  public var unpublished: Int
  /// Names in other hosts' records not served (outside their publisher's subnet).
  public var refused: Int

  /// Creates a list.
  public init(names: [NameEntry], unpublished: Int = 0, refused: Int = 0) {
    self.names = names
    self.unpublished = unpublished
    self.refused = refused
  }

  /// The text of a kind in JSON and tables.
  public static func kindName(_ kind: NameEntry.Kind) -> String {
    switch kind {
    case .container: "container"
    case .service: "service"
    case .manual: "manual"
    }
  }

  /// The JSON document.
  public var json: JSONValue {
    let items: [JSONValue] = names.map { entry in
      [
        "name": .string(entry.name), "kind": .string(NameList.kindName(entry.kind)),
        "address": .string(IPv4Network.format(entry.address)),
        "ports": .array(entry.ports.map { .int(Int($0)) }),
        "host": .string(entry.host.description),
      ]
    }
    return [
      "names": .array(items), "unpublished": .int(unpublished), "refused": .int(refused),
    ]
  }

  /// Decodes the JSON document; nil when it is not one.
  public init?(json: JSONValue) {
    guard case .array(let items)? = json["names"] else { return nil }
    var names: [NameEntry] = []
    for item in items {
      guard let name = item["name"]?.stringValue,
        let kind = [NameEntry.Kind.container, .service, .manual].first(where: {
          NameList.kindName($0) == item["kind"]?.stringValue
        }),
        let addressText = item["address"]?.stringValue,
        let address = Endpoint.parseV4(addressText[...]),
        let hostText = item["host"]?.stringValue, let host = PeerID(hostText)
      else { return nil }
      var ports: [UInt16] = []
      if case .array(let list)? = item["ports"] {
        ports = list.compactMap { $0.intValue.flatMap(UInt16.init(exactly:)) }
      }
      names.append(
        NameEntry(name: name, kind: kind, address: address, ports: ports, host: host))
    }
    self.init(
      names: names, unpublished: json["unpublished"]?.intValue ?? 0,
      refused: json["refused"]?.intValue ?? 0)
  }

  /// A table for operators: name, kind, address, ports, host; names escaped for display.
  public var text: String {
    var lines = ["NAME\tKIND\tADDRESS\tPORTS\tHOST"]
    for entry in names {
      let ports = entry.ports.isEmpty ? "-" : entry.ports.map(String.init).joined(separator: ",")
      lines.append(
        "\(DisplayText.escaped(entry.name))\t\(NameList.kindName(entry.kind))\t"
          + "\(IPv4Network.format(entry.address))\t\(ports)\t\(entry.host)")
    }
    if unpublished > 0 {
      lines.append("(\(unpublished) local names not published: over the record's limits)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
