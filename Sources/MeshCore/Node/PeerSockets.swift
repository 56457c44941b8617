import Logging
import MeshIO
import MeshLogic
import MeshTypes

/// One connected UDP socket per established peer, sharing the mesh port with the main socket,
/// so that a peer's datagrams wait in a receive queue of their own.
///
/// Why: a flood of junk at the mesh port (from anyone on the internet) fills the main
/// socket's queue, and when one queue holds everything, the kernel drops members' data with
/// the junk. The kernel delivers a datagram to the socket that matches it most specifically,
/// so a socket connected to a peer's endpoint gets that peer's datagrams and the main socket
/// gets only handshakes and strangers. `NodeLoop` serves these sockets before the main one.
///
/// Sockets follow the engine's peers: `reconcile` (called from the data thread after the
/// engine ran) opens one for each peer with a session, moves it when the peer's endpoint
/// changes, and closes it when the session ends. Creating and closing sockets allocates, but
/// only when peers come and go, never per packet.
final class PeerSockets<Factory: DatagramSocketFactory> {
  typealias Socket = Factory.Socket

  /// The most peers with a socket of their own; the rest share the main socket (so that a
  /// large mesh cannot exhaust the process's descriptors).
  static var capacity: Int { 256 }
  /// Poller tokens `firstToken ..< firstToken + capacity` are these sockets.
  static var firstToken: Int { 1024 }

  private struct Attached {
    var endpoint: Endpoint
    var slot: Int
  }

  private let factory: Factory
  private let listen: Endpoint
  private let poller: Poller
  private let logger: Logger
  private var slots: [Socket?]
  /// Each slot's receive-buffer choice, begun afresh with each socket.
  private var sizers: [ReceiveBufferSizer]
  private var freeSlots: [Int]
  private var attached: [PeerID: Attached] = [:]
  /// Peers whose socket could not be opened, so that a failing `connect` is not retried on
  /// every tick; cleared when the peer's endpoint changes or it goes away.
  private var failed: [PeerID: Endpoint] = [:]

  /// Manages sockets that `factory` opens bound to `listen` (the main socket's address and
  /// port), watched by `poller`.
  init(factory: Factory, listen: Endpoint, poller: Poller, logger: Logger) {
    self.factory = factory
    self.listen = listen
    self.poller = poller
    self.logger = logger
    slots = [Socket?](repeating: nil, count: PeerSockets.capacity)
    sizers = [ReceiveBufferSizer](repeating: ReceiveBufferSizer(), count: PeerSockets.capacity)
    freeSlots = Array((0..<PeerSockets.capacity).reversed())
  }

  /// How many peers have a socket of their own.
  var count: Int { attached.count }

  /// The socket behind a poller token, or nil when the token is not one of these.
  func socket(forToken token: Int) -> Socket? {
    let slot = token - PeerSockets.firstToken
    guard slot >= 0, slot < slots.count else { return nil }
    return slots[slot]
  }

  /// Notes the average datagram size of a receive batch from the socket behind `token`, and
  /// resizes its receive buffer when the traffic changed between bulk and small packets.
  func noteBatch(token: Int, averageDatagram: Int) {
    let slot = token - PeerSockets.firstToken
    guard slot >= 0, slot < slots.count, let socket = slots[slot],
      let bytes = sizers[slot].note(averageDatagram: averageDatagram)
    else { return }
    socket.setReceiveBuffer(bytes: bytes)
  }

  /// Whether the socket behind `token` carries bulk traffic (large datagrams, as the
  /// receive-buffer choice saw them): the loop serves such sockets after the TAP and the
  /// sockets of small datagrams, whose batches cost little and carry what waits (replies,
  /// acknowledgements).
  func carriesBulk(token: Int) -> Bool {
    let slot = token - PeerSockets.firstToken
    guard slot >= 0, slot < sizers.count else { return false }
    return sizers[slot].carriesBulk
  }

  /// Brings the sockets in line with the engine: one per peer that is up, at the peer's
  /// endpoint. A peer that went silent loses its socket, so that whatever it sends next
  /// (a new handshake, from wherever) meets the main socket, as before it was up.
  func reconcile(with engine: MeshEngine) {
    let up = engine.upPeerEndpoints
    for (id, endpoint) in up {
      if let a = attached[id], a.endpoint == endpoint { continue }
      if failed[id] == endpoint { continue }
      attach(id, at: endpoint)
    }
    guard attached.count + failed.count > 0 else { return }
    for (id, a) in attached where up[id] == nil {
      detach(id, slot: a.slot)
    }
    for id in failed.keys where up[id] == nil { failed[id] = nil }
  }

  private func attach(_ id: PeerID, at endpoint: Endpoint) {
    if let old = attached[id] { detach(id, slot: old.slot) }
    guard let slot = freeSlots.popLast() else { return }
    do {
      let socket = try factory.makeSocket(boundTo: listen, connectedTo: endpoint)
      do {
        try poller.add(fd: socket.fd, token: PeerSockets.firstToken + slot)
      } catch {
        socket.close()
        throw error
      }
      slots[slot] = socket
      sizers[slot] = ReceiveBufferSizer()
      attached[id] = Attached(endpoint: endpoint, slot: slot)
      failed[id] = nil
      logger.debug("peer \(id) at \(endpoint) has a socket of its own")
    } catch {
      freeSlots.append(slot)
      failed[id] = endpoint
      logger.debug("no socket of its own for peer \(id) at \(endpoint): \(error)")
    }
  }

  private func detach(_ id: PeerID, slot: Int) {
    attached[id] = nil
    logger.debug("peer \(id) shares the main socket again")
    slots[slot]?.close()  // closing also removes it from the poller
    slots[slot] = nil
    freeSlots.append(slot)
  }

  /// Closes every socket.
  func closeAll() {
    for (id, a) in attached { detach(id, slot: a.slot) }
  }
}
