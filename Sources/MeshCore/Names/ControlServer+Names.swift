import MeshAPI
import MeshLogic
import MeshTypes

/// The control API's name routes (`/v1/dns…`), answered from the node's `NameRegistry`.
extension ControlServer {
  /// Lists, adds or removes names; 404 when the daemon runs without a registry.
  func respondNames(_ route: NameRoute) -> HTTPResponse {
    guard let registry = node.configuration.names else {
      return .json(["error": "this daemon runs without names"], status: 404)
    }
    switch route {
    case .list:
      return .json(registry.list().json)
    case .add(let name, let address):
      do {
        let added = try registry.addManual(name, address: address)
        return .json(
          [
            "name": .string(name), "address": .string(IPv4Network.format(address)),
            "added": .bool(added), "served": .bool(servable(name, address)),
          ], status: added ? 201 : 200)
      } catch {
        return .json(["error": .string("cannot save the names: \(error)")], status: 500)
      }
    case .remove(let name, let address):
      do {
        let removed = try registry.removeManual(name, address: address)
        return .json(
          ["name": .string(name), "removed": .int(removed)], status: removed > 0 ? 200 : 404)
      } catch {
        return .json(["error": .string("cannot save the names: \(error)")], status: 500)
      }
    }
  }

  /// Whether the mesh's hosts serve a manual name at `address` from this host's record
  /// (`NamePolicy`: inside this host's subnet, or the IPAM range), so the operator can be
  /// told when they will not.
  func servable(_ name: String, _ address: UInt32) -> Bool {
    let configuration = node.configuration
    let record = PeerRecord(
      publicKey: configuration.engine.privateKey.publicKey, nickname: "", version: 0,
      subnet: node.statusBlocking().subnet)
    let entry = NameEntry(name: name, kind: .manual, address: address, host: record.id)
    return NamePolicy.servable(entry, in: record, meshRange: configuration.ipam?.range)
  }
}
