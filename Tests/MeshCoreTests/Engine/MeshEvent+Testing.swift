import MeshCore

extension MeshEvent {
  /// The peer a `peerDown` event names, else nil: tests match the peer, not the reason text.
  var downPeer: PeerID? {
    if case .peerDown(let id, _, _) = self { return id }
    return nil
  }
}
