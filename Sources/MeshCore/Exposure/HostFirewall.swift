import Logging
import MeshIO
import Synchronization

/// Owns meshd's nftables tables (see `HostExposureRules`): installed at start, switched by
/// `meshd expose` and `meshd hide`, removed at stop.
public final class HostFirewall: Sendable {
  /// The bridge the TAP is a port of.
  public let bridge: String
  /// The TAP: frames from the mesh enter the bridge through it.
  public let tap: String
  let state: Mutex<(installed: Bool, exposed: Bool)>
  /// Applies an nft script (`NftCommand.apply` normally; tests record the scripts).
  let apply: @Sendable (String) throws -> Void

  /// A firewall for `bridge` and `tap`; nothing is installed until `install`.
  public init(
    bridge: String, tap: String,
    apply: @escaping @Sendable (String) throws -> Void = { try NftCommand.apply($0) }
  ) {
    self.bridge = bridge
    self.tap = tap
    self.apply = apply
    state = Mutex((installed: false, exposed: false))
  }

  /// Whether the host is open to the mesh.
  public var isExposed: Bool { state.withLock { $0.exposed } }

  /// Installs the tables, the host hidden unless `exposed`.
  public func install(exposed: Bool) throws {
    try state.withLock { s in
      try apply(HostExposureRules.install(bridge: bridge, tap: tap, exposed: exposed))
      s = (installed: true, exposed: exposed)
    }
  }

  /// Opens the host to the mesh (`true`) or hides it again; the tables are replaced in one
  /// transaction, so there is no moment without rules.
  public func setExposed(_ exposed: Bool) throws {
    try install(exposed: exposed)
  }

  /// Removes the tables, if installed.
  public func remove() throws {
    try state.withLock { s in
      guard s.installed else { return }
      try apply(HostExposureRules.remove())
      s.installed = false
    }
  }
}
