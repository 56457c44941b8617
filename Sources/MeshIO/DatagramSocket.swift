import MeshTypes

/// The UDP socket the data thread sends and receives sealed datagrams on, as wireguard-go has
/// its `conn.Bind`: `UDPSocket` is the real one; tests give the runtime in-memory fakes.
///
/// The data thread waits for ``fd`` to become readable with a `Poller` (a fake hands out an
/// eventfd that it keeps readable while it holds datagrams). Callers are generic over the
/// socket, so the per-packet calls are direct calls, not dynamic dispatch.
public protocol DatagramSocket: AnyObject {
  /// A descriptor that is readable when ``receiveBatch(into:limit:)`` has datagrams, or -1
  /// once closed.
  var fd: Int32 { get }
  /// Whether the socket is IPv6 (its endpoints are written as IPv6 addresses).
  var isIPv6: Bool { get }
  /// The bound address and port.
  var localEndpoint: Endpoint { get }
  /// Receives up to `limit` (at most the batch's capacity) datagrams into `batch`; returns
  /// how many, or nil when none is waiting. A connected socket reports a pending ICMP error
  /// here (and the read clears it).
  func receiveBatch(into batch: UDPMessageBatch, limit: Int?) throws -> Int?
  /// Sends one datagram to `endpoint`.
  func send(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint) throws
  /// Sends one datagram that crosses at most `hopLimit` routers (IP TTL, IPv6 hop limit):
  /// a hole-punching opener that opens this host's NAT without reaching the peer's.
  func send(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint, hopLimit: UInt8) throws
  /// Sends every datagram queued in `queue`, in order, and empties it; returns how many
  /// could not be sent.
  func send(_ queue: UDPSendQueue) -> Int
  /// From now on receives only `endpoint`'s datagrams.
  func connect(to endpoint: Endpoint) throws
  /// Asks for a receive buffer of `bytes`; what is queued already stays.
  func setReceiveBuffer(bytes: Int)
  /// Closes the socket.
  func close()
}

/// Opens the sockets the data thread gives its peers: one per peer that is up, bound to the
/// main socket's address and port and connected to the peer, so that the peer's datagrams
/// wait in a receive queue of their own (see `PeerSockets`).
public protocol DatagramSocketFactory {
  /// The sockets it opens.
  associatedtype Socket: DatagramSocket
  /// Opens a non-blocking socket bound to `local` (shared with the main socket) and
  /// connected to `remote`.
  func makeSocket(boundTo local: Endpoint, connectedTo remote: Endpoint) throws -> Socket
}

extension DatagramSocket {
  /// Sends with the default hop limit: sockets that cannot limit it send as usual.
  public func send(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint, hopLimit: UInt8)
    throws
  {
    try send(bytes, to: endpoint)
  }
}

extension UDPSocket: DatagramSocket {
  /// Sends the queue with `sendmmsg` (see ``UDPSendQueue/flush(on:)``).
  public func send(_ queue: UDPSendQueue) -> Int { queue.flush(on: self) }
}
