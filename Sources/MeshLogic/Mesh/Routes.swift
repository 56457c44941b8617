import MeshTypes

/// Unicast routes from one host: for every reachable host, the next hop and the hop count.
///
/// Computed by a breadth-first search over symmetric edges only (A lists B and B lists A),
/// visiting neighbours in ascending `PeerID` order. Every host that holds the same topology
/// therefore computes the same shortest-path tree for any root, and hop-by-hop forwarding
/// along `nextHop` is loop-free: each hop is one step closer on the same tree.
public struct Routes: Sendable, Equatable {
  /// The host the routes start from.
  public let source: PeerID
  /// The next hop towards each reachable host (the host itself when directly connected).
  private var next: [PeerID: PeerID] = [:]
  /// The hop count of each reachable host; the source has 0.
  private var distance: [PeerID: Int] = [:]
  /// The tree parent of each reachable host other than the source.
  private var parent: [PeerID: PeerID] = [:]

  /// An empty route table (nothing reachable) from `source`.
  public init(source: PeerID) { self.source = source }

  /// The routes from `source` over `topology`'s symmetric edges.
  public static func compute(topology: Topology, from source: PeerID) -> Routes {
    compute(graph: SymmetricGraph(topology), from: source)
  }

  /// The routes from `source` over an already-built graph.
  static func compute(graph: SymmetricGraph, from source: PeerID) -> Routes {
    var routes = Routes(source: source)
    guard let root = graph.index[source] else { return routes }
    let (parentIndex, hops) = graph.search(from: root)
    var firstHop = [Int](repeating: -1, count: graph.ids.count)
    // BFS order guarantees a parent is settled before its children; walk by hop count.
    let order = graph.ids.indices.filter { hops[$0] > 0 }.sorted { hops[$0] < hops[$1] }
    routes.distance[source] = 0
    for node in order {
      let up = parentIndex[node]
      firstHop[node] = up == root ? node : firstHop[up]
      let id = graph.ids[node]
      routes.next[id] = graph.ids[firstHop[node]]
      routes.distance[id] = hops[node]
      routes.parent[id] = graph.ids[up]
    }
    return routes
  }

  /// The neighbour to hand a frame for `destination` to; nil when unreachable or the source.
  public func nextHop(to destination: PeerID) -> PeerID? { next[destination] }

  /// The number of hops to `destination` (0 for the source); nil when unreachable.
  public func hops(to destination: PeerID) -> Int? { distance[destination] }

  /// The hosts from the source to `destination`, both included; nil when unreachable.
  public func path(to destination: PeerID) -> [PeerID]? {
    guard distance[destination] != nil else { return nil }
    var path = [destination]
    var node = destination
    while let up = parent[node] {
      path.append(up)
      node = up
    }
    return path.reversed()
  }

  /// Every reachable host other than the source.
  public var reachable: [PeerID] { next.keys.sorted() }

  /// The children of `node` in the broadcast tree rooted at `origin`: the hosts `node`
  /// forwards a flooded frame from `origin` to. The tree is the same deterministic BFS as
  /// routes, so all hosts agree and every connected host gets exactly one copy.
  public static func broadcastChildren(
    topology: Topology, origin: PeerID, at node: PeerID
  ) -> [PeerID] {
    let graph = SymmetricGraph(topology)
    guard let root = graph.index[origin], let at = graph.index[node] else { return [] }
    return graph.children(of: at, parent: graph.search(from: root).parent)
  }
}
