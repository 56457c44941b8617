import Logging
import MeshLogic
import MeshTypes

/// What the data thread tells the world, as closures it is given when built: it holds no
/// reference back to the node that runs it.
///
/// Every closure runs on the data thread, so it must return at once: slow work (files,
/// netlink) goes to another queue.
struct NodeReports: Sendable {
  /// Each engine event, for embedders (`MeshNode.events`).
  var event: @Sendable (MeshEvent) -> Void = { _ in }
  /// This host claimed a subnet (IPAM): persist it and give the bridge its address.
  var subnetClaimed: @Sendable (SubnetClaim) -> Void = { _ in }
  /// The peers to reconnect to after a restart changed: persist them.
  var knownPeersChanged: @Sendable ([KnownPeer]) -> Void = { _ in }
  /// The names the mesh serves changed (entries, names refused by the address rule); nil
  /// when nobody reads them, and the loop does not compute them.
  var namesChanged: (@Sendable ([NameEntry], Int) -> Void)?

  /// Reports that do nothing.
  init() {}
}
