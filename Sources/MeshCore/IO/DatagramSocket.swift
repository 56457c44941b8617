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
  /// Sends every datagram queued in `queue`, in order, and empties it; returns how many
  /// could not be sent.
  func send(_ queue: UDPSendQueue) -> Int
  /// From now on receives only `endpoint`'s datagrams.
  func connect(to endpoint: Endpoint) throws
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

extension UDPSocket: DatagramSocket {
  /// Sends the queue with `sendmmsg` (see ``UDPSendQueue/flush(on:)``).
  public func send(_ queue: UDPSendQueue) -> Int { queue.flush(on: self) }
}

/// Opens real peer sockets: non-blocking, dual-stack, with a peer's share of receive buffer,
/// and UDP_GRO when the main socket has it.
public struct UDPSocketFactory: DatagramSocketFactory {
  /// Each socket's receive buffer: a peer's share, smaller than the main socket's.
  public var bufferBytes = 2 << 20
  /// Whether new sockets ask for UDP_GRO, like the main socket.
  public var receiveOffload = false

  /// A factory for sockets with `receiveOffload` or not.
  public init(receiveOffload: Bool = false) { self.receiveOffload = receiveOffload }

  /// Binds a socket to `local`, connects it to `remote`, and enables UDP_GRO if asked.
  public func makeSocket(boundTo local: Endpoint, connectedTo remote: Endpoint) throws
    -> UDPSocket
  {
    var options = UDPSocket.Options()
    options.nonBlocking = true
    options.bufferBytes = bufferBytes
    options.ipv6Only = false
    let socket = try UDPSocket(bindingTo: local, options: options)
    do {
      try socket.connect(to: remote)
    } catch {
      socket.close()
      throw error
    }
    if receiveOffload { socket.enableReceiveOffload() }
    return socket
  }
}
