/// Where frames go beyond direct neighbours: next hops and broadcast trees. Until the mesh
/// control plane knows the topology, every host is taken to be a direct neighbour (a full
/// mesh): the origin floods to all of them and nobody forwards.
extension MeshEngine {
  /// The neighbour to send a frame for `destination` to.
  func nextHop(to destination: PeerID) -> PeerID? {
    peers[destination]?.current != nil ? destination : nil
  }

  /// Whether `child` gets a copy of a flood from `origin` from this host.
  func isFloodChild(_ child: PeerID, origin: PeerID) -> Bool {
    origin == id && child != id
  }

  /// Gossip and path probes: the mesh control plane's messages.
  mutating func receiveControl(
    _ message: InnerMessage, _ plaintext: UnsafeRawBufferPointer, from peer: PeerID,
    now: MeshInstant, out: inout some EngineOutput
  ) {}
}
