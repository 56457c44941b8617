import MeshLogic
import MeshTypes

/// The diagnostic members of the `/v1/status` document (a peer's attempts, time in state and
/// last error; departed members; IPAM usage), written and read in one place.
extension MeshStatus {
  /// A peer's diagnostic members.
  static func diagnosticsJSON(_ p: Peer) -> [(String, JSONValue)] {
    [
      ("attempts", .int(p.attempts)),
      ("state_seconds", p.stateFor.map { .double($0) } ?? .null),
      ("last_error", p.lastError.map { .string($0) } ?? .null),
      ("round_trip_seconds", p.roundTrip.map { .double($0) } ?? .null),
    ]
  }

  /// The document's diagnostic members.
  var diagnosticsJSON: [(String, JSONValue)] {
    let departedList: [JSONValue] = departed.map {
      MeshStatus.object([
        ("peer_id", .string($0.id.description)), ("nickname", .string($0.nickname)),
      ])
    }
    let usage: JSONValue =
      ipam.map {
        MeshStatus.object([
          ("range", .string($0.range.description)), ("subnet_size", .int($0.subnetSize)),
          ("total", .int($0.total)), ("used", .int($0.used)), ("free", .int($0.free)),
        ])
      } ?? .null
    return [("departed", .array(departedList)), ("ipam", usage)]
  }

  /// Reads the document's diagnostic members; absent ones (an older daemon) stay empty.
  mutating func decodeDiagnostics(_ f: JSONFields) throws(StatusDecodingError) {
    if f.contains("departed") {
      departed = try f.array("departed") { v, p throws(StatusDecodingError) in
        let m = try JSONFields(v, path: p)
        return Member(
          id: try m.parsed("peer_id") { PeerID($0) }, nickname: try m.string("nickname"))
      }
    }
    if f.contains("ipam"), case .object = try f.value("ipam") {
      let u = try JSONFields(try f.value("ipam"), path: f.path("ipam"))
      ipam = IPAMUsage(
        range: try u.parsed("range") { IPv4Network($0) }, subnetSize: try u.int("subnet_size"),
        total: try u.int("total"), used: try u.int("used"))
    }
  }
}

extension MeshStatus.Peer {
  /// Reads a peer's diagnostic members; absent ones stay at their defaults.
  mutating func decodeDiagnostics(_ f: JSONFields) throws(StatusDecodingError) {
    if f.contains("attempts") { attempts = try f.int("attempts") }
    stateFor = try f.optionalDouble("state_seconds")
    lastError = try f.optionalString("last_error")
    roundTrip = try f.optionalDouble("round_trip_seconds")
  }
}
