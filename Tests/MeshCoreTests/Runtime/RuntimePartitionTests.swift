import Testing

@testable import MeshCore

/// The unit-level form of the namespace test "Mesh: partition and heal".
@Suite("Runtime: partition and heal")
struct RuntimePartitionTests {
  /// What failed 2 of 5 CI runs: a partition outlasts the dead-peer timeout, so both sides
  /// mark each other down, but their old session is still within its lifetime. After the
  /// heal, data on that old session (a ping, a keepalive) arrived before either side's next
  /// handshake retry; it refreshed "last received", so neither side found the peer dead any
  /// more, neither initiated again, and both kept the peer down ("handshaking", no drops)
  /// while keepalives crossed every 10 s.
  @Test("data on the old session right after the heal does not keep the peers down")
  func healWithDataOnTheOldSession() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    mesh.underlay.cut = [b.endpoint]
    mesh.run(seconds: 15.5)
    #expect(!a.isUp(with: b) && !b.isUp(with: a), "15 s of silence: both sides gave up")

    mesh.underlay.cut = []
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: 1))
    b.tap.inject(TestFrame.make(from: TestFrame.mac(2), to: TestFrame.mac(1), tag: 2))
    mesh.settle()
    #expect(
      a.tap.writtenFrames.contains(
        TestFrame.make(from: TestFrame.mac(2), to: TestFrame.mac(1), tag: 2)),
      "the old session still carries data")

    mesh.run(seconds: 30)
    #expect(a.isUp(with: b), "A brings B up again within 30 s")
    #expect(b.isUp(with: a), "B brings A up again within 30 s")
    #expect(a.loop.peerSockets.count == 1 && b.loop.peerSockets.count == 1)
  }

  @Test("a plain heal: handshakes bring both sides up again, with their sockets")
  func healWithHandshakes() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    mesh.underlay.cut = [b.endpoint]
    mesh.run(seconds: 20)
    #expect(!a.isUp(with: b) && !b.isUp(with: a))
    #expect(mesh.underlay.lost > 0)
    mesh.underlay.cut = []
    mesh.run(seconds: 10)
    #expect(a.isUp(with: b) && b.isUp(with: a))
    #expect(a.loop.peerSockets.count == 1 && b.loop.peerSockets.count == 1)
    #expect(mesh.underlay.unclaimed == 0, "every datagram found a socket")
  }
}
