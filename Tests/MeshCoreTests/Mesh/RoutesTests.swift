import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshTypes

@Suite("Routes and broadcast trees")
struct RoutesTests {
  /// Connected components over symmetric edges, computed independently of `SymmetricGraph`.
  func component(of start: PeerID, in topology: Topology) -> Set<PeerID> {
    var seen: Set<PeerID> = [start]
    var stack = [start]
    while let node = stack.popLast() {
      for next in topology.symmetricNeighbors(of: node) where seen.insert(next).inserted {
        stack.append(next)
      }
    }
    return seen
  }

  @Test func everyHostComputesConsistentRoutes() {
    for seed in 0..<40 {
      var random = SeededRandom(seed: 100 + UInt64(seed))
      let keys = MeshFixtures.keys(2 + random.below(59), &random)
      let records = MeshFixtures.graph(
        keys, density: 0.02 + 0.3 * Double(random.below(10)) / 10, &random)
      let ids = records.map(\.id)
      // Each host holds the records merged in its own order.
      var routes: [PeerID: Routes] = [:]
      for id in ids {
        routes[id] = Routes.compute(topology: Topology(random.shuffled(records)), from: id)
      }
      let topology = Topology(records)
      for a in ids {
        let reach = component(of: a, in: topology)
        for d in ids {
          let hops = routes[a]!.hops(to: d)
          #expect((hops != nil) == reach.contains(d))
          guard let hops else { continue }
          #expect(routes[d]!.hops(to: a) == hops)
          #expect(routes[a]!.path(to: d)?.count == hops + 1)
          var node = a
          var steps = 0
          while node != d, steps <= ids.count {
            let next = routes[node]!.nextHop(to: d)!
            #expect(topology.symmetricNeighbors(of: node).contains(next))
            node = next
            steps += 1
          }
          #expect(node == d && steps == hops)
        }
      }
    }
  }

  @Test func broadcastTreesReachEveryConnectedHostExactlyOnce() {
    for seed in 0..<40 {
      var random = SeededRandom(seed: 200 + UInt64(seed))
      let keys = MeshFixtures.keys(2 + random.below(59), &random)
      let records = MeshFixtures.graph(
        keys, density: 0.02 + 0.3 * Double(random.below(10)) / 10, &random)
      let ids = records.map(\.id)
      let topology = Topology(records)
      // Every host computes its children from its own copy, merged in its own order.
      var trees: [PeerID: BroadcastTrees] = [:]
      for id in ids {
        var cache = BroadcastTrees(local: id)
        cache.update(Topology(random.shuffled(records)))
        trees[id] = cache
      }
      for origin in ids {
        var copies: [PeerID: Int] = [origin: 1]
        var frontier = [origin]
        while let node = frontier.popLast() {
          for child in trees[node]!.children(origin: origin) {
            copies[child, default: 0] += 1
            if copies[child] == 1 { frontier.append(child) }
          }
        }
        let reach = component(of: origin, in: topology)
        #expect(Set(copies.keys) == reach)
        #expect(copies.values.allSatisfy { $0 == 1 })
      }
      let origin = ids[random.below(ids.count)]
      let node = ids[random.below(ids.count)]
      #expect(
        Routes.broadcastChildren(topology: topology, origin: origin, at: node)
          == trees[node]!.children(origin: origin))
    }
  }

  @Test func departedHostsAreNotRoutedThrough() {
    var random = SeededRandom(seed: 300)
    let k = MeshFixtures.keys(3, &random)
    let (a, b, c) = (k[0].peerID, k[1].peerID, k[2].peerID)
    var middle = MeshFixtures.record(k[1], version: 1, connections: [a, c])
    var topology = Topology([
      MeshFixtures.record(k[0], version: 1, connections: [b]), middle,
      MeshFixtures.record(k[2], version: 1, connections: [b]),
    ])
    #expect(Routes.compute(topology: topology, from: a).path(to: c) == [a, b, c])
    middle.version = 2
    middle.departed = true
    topology.merge(middle)
    #expect(Routes.compute(topology: topology, from: a).hops(to: c) == nil)
  }
}
