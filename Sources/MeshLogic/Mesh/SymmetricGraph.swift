import MeshTypes

/// The graph that routes and broadcast trees are computed on: hosts that are not departed, and
/// an edge between two of them only when each lists the other (both sides have the session
/// established). Nodes are indexed in ascending ID order and adjacency lists are ascending, so
/// a breadth-first search that visits neighbours in list order is the same on every host.
struct SymmetricGraph: Sendable {
  /// Node IDs, ascending.
  let ids: [PeerID]
  /// Index of each ID in `ids`.
  let index: [PeerID: Int]
  /// Symmetric neighbours of each node, ascending.
  let adjacency: [[Int]]

  /// Builds the graph of `topology`.
  init(_ topology: Topology) {
    let ids = topology.records.values.filter { !$0.departed }.map(\.id).sorted()
    var index: [PeerID: Int] = [:]
    index.reserveCapacity(ids.count)
    for (position, id) in ids.enumerated() { index[id] = position }
    var adjacency: [[Int]] = []
    adjacency.reserveCapacity(ids.count)
    for id in ids {
      let record = topology[id]!
      var list: [Int] = []
      for peer in record.connections {
        guard let other = index[peer], topology[peer]!.lists(id) else { continue }
        list.append(other)
      }
      adjacency.append(list)
    }
    self.ids = ids
    self.index = index
    self.adjacency = adjacency
  }

  /// The breadth-first tree from `root`: the parent index of every reached node (the root is
  /// its own parent, unreached nodes -1) and the hop count (-1 when unreached). Neighbours are
  /// visited in ascending ID order, so the tree is deterministic.
  func search(from root: Int) -> (parent: [Int], hops: [Int]) {
    var parent = [Int](repeating: -1, count: ids.count)
    var hops = [Int](repeating: -1, count: ids.count)
    guard root >= 0, root < ids.count else { return (parent, hops) }
    parent[root] = root
    hops[root] = 0
    var queue = [root]
    queue.reserveCapacity(ids.count)
    var head = 0
    while head < queue.count {
      let node = queue[head]
      head += 1
      for next in adjacency[node] where parent[next] < 0 {
        parent[next] = node
        hops[next] = hops[node] + 1
        queue.append(next)
      }
    }
    return (parent, hops)
  }

  /// The children of `node` in the tree given by `parent`, ascending by ID.
  func children(of node: Int, parent: [Int]) -> [PeerID] {
    guard node >= 0 else { return [] }
    return adjacency[node].filter { parent[$0] == node && $0 != node }.map { ids[$0] }
  }
}
