import Testing

@testable import MeshCore
@testable import MeshTypes

/// A peer that is up gets a connected socket of its own; it loses it when it goes down.
@Suite("Runtime: peer sockets follow sessions")
struct RuntimePeerSocketTests {
  @Test("a session brings a connected socket per side; the peer's datagrams land there")
  func socketsAppearWithSessions() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    #expect(a.isUp(with: b) && b.isUp(with: a))
    #expect(a.loop.peerSockets.count == 1)
    #expect(b.loop.peerSockets.count == 1)
    let own = mesh.underlay.sockets(at: a.endpoint).filter { $0.remote == b.endpoint }
    #expect(own.count == 1)

    // B's data now arrives on A's socket for B, not on the main socket.
    a.tap.inject(TestFrame.make(from: TestFrame.mac(1), to: TestFrame.mac(2), tag: 5))
    mesh.settle(rounds: 1)
    b.tap.inject(TestFrame.make(from: TestFrame.mac(2), to: TestFrame.mac(1), tag: 6))
    b.loop.step(timeoutMilliseconds: 0)
    #expect(own[0].pending == 1)
    #expect(a.socket.pending == 0)
    a.loop.step(timeoutMilliseconds: 0)
    #expect(
      a.tap.writtenFrames.last
        == TestFrame.make(from: TestFrame.mac(2), to: TestFrame.mac(1), tag: 6))
  }

  @Test("a peer that goes silent loses its socket; its next handshake meets the main socket")
  func socketsGoAwayWithSessions() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    mesh.underlay.cut = [b.endpoint]
    mesh.run(seconds: 16)
    #expect(!a.isUp(with: b) && !b.isUp(with: a))
    #expect(a.loop.peerSockets.count == 0)
    #expect(b.loop.peerSockets.count == 0)
    #expect(mesh.underlay.sockets(at: a.endpoint).count == 1, "only the main socket is left")
    #expect(a.events.value.contains { $0.downPeer == b.id })
  }

  @Test("forget drops the peer and its socket; status answers through the mailbox")
  func forgetClosesTheSocket() throws {
    let mesh = try RuntimeMesh.pair()
    let (a, b) = (mesh.hosts[0], mesh.hosts[1])
    #expect(b.status().peers.count == 1)
    let found = Locked<Bool?>(nil)
    #expect(b.mailbox.post(.forget(a.endpoint) { f in found.update { $0 = f } }))
    b.loop.step(timeoutMilliseconds: 0)
    #expect(found.value == true)
    #expect(b.loop.peerSockets.count == 0)
    #expect(b.status().peers.isEmpty)
    #expect(b.knownPeers.value == [])
  }

  @Test("stop ends the loop; later requests are refused and handed back to the caller")
  func stopClosesTheMailbox() throws {
    let mesh = try RuntimeMesh.pair()
    let a = mesh.hosts[0]
    #expect(a.mailbox.post(.stop))
    a.loop.step(timeoutMilliseconds: 0)
    #expect(!a.loop.running)
    a.loop.shutdown()
    #expect(a.tap.isClosed && a.socket.isClosed)
    #expect(!a.mailbox.post(.connect(Endpoint("192.0.2.9:6786")!)))
  }
}
