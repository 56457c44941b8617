import MeshTypes

/// Opens real peer sockets: non-blocking, dual-stack, with a peer's share of receive buffer,
/// and UDP_GRO when the main socket has it.
public struct UDPSocketFactory: DatagramSocketFactory {
  /// Each socket's buffers at first: a peer's share, smaller than the main socket's. The data
  /// thread shrinks the receive buffer while the peer sends bulk traffic (see the runtime's
  /// `ReceiveBufferSizer`).
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
    // The main socket holds the port already: this one shares it (SO_REUSEADDR before bind).
    options.exclusiveBind = false
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
