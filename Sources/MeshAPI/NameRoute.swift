import MeshLogic
import MeshTypes

/// The name registry's control routes, with their parameters validated: names lower-cased
/// and checked against the DNS label rules (`NameRules`), addresses as dotted-quad IPv4.
public enum NameRoute: Equatable, Sendable {
  /// `GET /v1/dns`: every name the mesh serves.
  case list
  /// `POST /v1/dns/add?name=NAME&address=A.B.C.D`: a manual name for this host's record.
  case add(name: String, address: UInt32)
  /// `POST /v1/dns/remove?name=NAME[&address=A.B.C.D]`: drop a manual name (at one address).
  case remove(name: String, address: UInt32?)

  /// The route for a request whose path is one of the name paths.
  static func route(_ request: HTTPRequest) -> Result<NameRoute, ControlRouteError> {
    if request.path == "/v1/dns" { return .success(.list) }
    guard let text = request.queryValue("name") else {
      return .failure(.badRequest("missing name=NAME"))
    }
    guard let name = NameRules.normalized(text) else {
      return .failure(
        .badRequest(
          "invalid name: labels of letters, digits and hyphens, at most 63 bytes each and "
            + "\(NameLimits.maxNameLength) in all"))
    }
    let addressText = request.queryValue("address")
    var address: UInt32?
    if let addressText {
      guard let parsed = Endpoint.parseV4(addressText[...]) else {
        return .failure(.badRequest("invalid address: expected A.B.C.D"))
      }
      address = parsed
    }
    if request.path == "/v1/dns/add" {
      guard let address else { return .failure(.badRequest("missing address=A.B.C.D")) }
      return .success(.add(name: name, address: address))
    }
    return .success(.remove(name: name, address: address))
  }
}
