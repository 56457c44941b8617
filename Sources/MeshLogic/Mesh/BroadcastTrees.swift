import MeshTypes

/// A memo of this host's broadcast-tree children per origin, for the flooding path.
///
/// `Routes.broadcastChildren` builds the graph and runs a BFS on every call; the data path
/// needs the answer for every flooded frame. This cache builds the symmetric graph once per
/// topology generation and one BFS per origin, and forgets everything when `update` sees a new
/// generation. The owner calls `update` after the topology changes (coalesced, e.g. at most
/// every 100 ms); between updates answers stay consistent with the last topology given.
/// Memory is bounded by `MeshLimits.maxPeers` origins.
public struct BroadcastTrees: Sendable {
  /// The host whose children are asked for.
  public let local: PeerID
  /// The topology generation the memo belongs to.
  public private(set) var generation: UInt64?
  private var graph: SymmetricGraph?
  private var memo: [PeerID: [PeerID]] = [:]

  /// An empty cache for host `local`.
  public init(local: PeerID) { self.local = local }

  /// Adopts `topology`; drops every memoized tree when its generation differs from the last.
  public mutating func update(_ topology: Topology) {
    guard generation != topology.generation || graph == nil else { return }
    generation = topology.generation
    graph = SymmetricGraph(topology)
    memo.removeAll(keepingCapacity: true)
  }

  /// This host's children in the broadcast tree rooted at `origin`; empty before the first
  /// `update`, for an unknown origin, or when this host is a leaf.
  public mutating func children(origin: PeerID) -> [PeerID] {
    if let known = memo[origin] { return known }
    guard let graph, let root = graph.index[origin], let at = graph.index[local] else {
      return []
    }
    let children = graph.children(of: at, parent: graph.search(from: root).parent)
    memo[origin] = children
    return children
  }

  /// Routes from this host over the adopted topology (nothing reachable before `update`).
  public func routes() -> Routes {
    guard let graph else { return Routes(source: local) }
    return Routes.compute(graph: graph, from: local)
  }
}
