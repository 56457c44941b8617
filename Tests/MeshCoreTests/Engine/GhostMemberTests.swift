import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// A host that restarted with a new key leaves its old key behind as a member at the same
/// address: once the address answers with the new key, the old member is retired.
@Suite("Retiring a member whose address answers with another key")
struct GhostMemberTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  func retirements(_ net: Network, _ host: Endpoint) -> [MeshEvent] {
    net.outputs[host]!.events.filter { if case .peerRetired = $0 { true } else { false } }
  }

  @Test func theOldKeyIsRetiredWhenTheNewOneComesUpAtItsAddress() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.advance(5)
    let oldKey = net.hosts[b]!.id
    #expect(net.established(a, b))

    // Host 2 restarts with a new key at the same address and connects again.
    net.add(2, secret: secret, seed: 424_242)
    let newKey = net.hosts[b]!.id
    #expect(newKey != oldKey)
    net.hosts[b]!.connect(a, now: net.clock.now())
    net.advance(60)

    let ids = net.status(a).peers.compactMap(\.id)
    #expect(ids == [newKey])
    #expect(net.hosts[a]!.peers[oldKey] == nil)
    #expect(retirements(net, a) == [.peerRetired(oldKey, endpoint: b, replacedBy: newKey)])
    #expect(net.hosts[a]!.knownEndpoints == [b])
    #expect(net.established(a, b))

    // The old key costs no more handshakes: every initiation towards host 2 now completes.
    net.outputs[a]!.events.removeAll()
    net.advance(120)
    #expect(net.hosts[a]!.peers[oldKey] == nil)
    #expect(retirements(net, a).isEmpty)
    #expect(net.established(a, b))
  }

  @Test func aMemberWithALiveSessionIsNotRetired() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let c = net.add(3, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.hosts[a]!.connect(c, now: net.clock.now())
    net.advance(30)
    #expect(net.established(a, b) && net.established(a, c))
    #expect(retirements(net, a).isEmpty)
    #expect(net.status(a).peers.compactMap(\.id).count == 2)
  }

  @Test func aDeadMemberAtAnotherAddressIsKept() {
    var net = Network()
    let a = net.add(1, secret: secret)
    let b = net.add(2, secret: secret)
    let c = net.add(3, secret: secret)
    net.hosts[a]!.connect(b, now: net.clock.now())
    net.hosts[a]!.connect(c, now: net.clock.now())
    net.advance(10)
    let idB = net.hosts[b]!.id
    net.cut.insert(b)
    net.advance(60)
    // Host 2 is down, but nothing else answers at its address: it stays a member.
    #expect(net.hosts[a]!.peers[idB] != nil)
    #expect(retirements(net, a).isEmpty)
    #expect(net.hosts[a]!.knownEndpoints.contains(b))
  }
}
