import MeshTypes

/// Where frames go beyond direct neighbours: next hops from the deterministic BFS over the
/// gossiped topology, and broadcast trees, so that a flood reaches every host exactly once.
extension MeshEngine {
  /// The neighbour to send a frame for `destination` to: the host itself when a session with
  /// it is up, else the first hop of the route.
  func nextHop(to destination: PeerID) -> PeerID? {
    if let p = peers[destination], p.current != nil, p.isUp { return destination }
    return routes.nextHop(to: destination)
  }

  /// The neighbours that get a copy of a flood from `origin` from this host: this host's
  /// children in `origin`'s broadcast tree. An origin also sends to direct neighbours the
  /// topology does not show yet (a session younger than the gossip about it), who would
  /// otherwise miss it.
  mutating func floodTargets(origin: PeerID) -> [PeerID] {
    var targets = trees.children(origin: origin)
    if origin == id {
      for p in peers.values where p.isUp && routes.hops(to: p.id) == nil {
        targets.append(p.id)
      }
    }
    return targets
  }

  /// Adopts a changed topology: recomputes routes and drops the memoized trees. Called from
  /// `tick`, so bursts of changes cost one recomputation.
  mutating func refreshRoutes() {
    let topology = gossiper.topology
    guard topology.generation != routesGeneration else { return }
    routesGeneration = topology.generation
    trees.update(topology)
    routes = trees.routes()
  }
}
