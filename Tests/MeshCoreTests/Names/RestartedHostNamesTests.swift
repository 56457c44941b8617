import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// A host that restarts before its neighbour notices it was gone (within the dead-peer
/// timeout) starts with an empty topology, while for the neighbour nothing changed: its
/// session was only rekeyed. The restarted host must still get the neighbour's record, and
/// so its names, at once, not at the next anti-entropy exchange (10-30 s later).
@Suite("Names on a host that restarted")
struct RestartedHostNamesTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))

  /// Two hosts joined directly; the steady one publishes a name, the other restarts with its
  /// key after a short outage. Returns the names the restarted host serves 3 s later.
  func namesAfterRestart(restartingHigherID: Bool) -> [String] {
    var net = Network()
    let one = net.add(1, secret: secret)
    let two = net.add(2, secret: secret)
    net.hosts[one]!.connect(two, now: net.clock.now())
    net.advance(5)
    let higherIsTwo = net.hosts[two]!.id > net.hosts[one]!.id
    let restarting = higherIsTwo == restartingHigherID ? two : one
    let steady = restarting == one ? two : one
    let steadyID = net.hosts[steady]!.id
    net.hosts[steady]!.setLocalNames([
      NameEntry(name: "web", kind: .container, address: 0x0a2f_0105, ports: [], host: steadyID)
    ])
    net.advance(3)
    #expect(net.hosts[restarting]!.meshNames().entries.map(\.name) == ["web"])

    // The restarting host stops for a few seconds, well within the steady host's dead-peer
    // timeout, and comes back with the same key at the same address.
    let key = net.hosts[restarting]!.configuration.privateKey
    let n = restarting == one ? 1 : 2
    net.cut = [restarting]
    net.advance(4)
    #expect(net.established(steady, restarting))
    net.add(n, secret: secret, seed: 99_991, key: key)
    net.cut = []
    net.hosts[restarting]!.connect(steady, now: net.clock.now())
    net.advance(3)
    #expect(net.established(restarting, steady))
    return net.hosts[restarting]!.meshNames().entries.map(\.name)
  }

  @Test(arguments: [true, false])
  func theRestartedHostGetsItsNeighboursNamesAtOnce(restartingHigherID: Bool) {
    #expect(namesAfterRestart(restartingHigherID: restartingHigherID) == ["web"])
  }
}
