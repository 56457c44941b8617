import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// A bound UDP socket for the encrypted underlay, which this object owns.
///
/// ``send(_:to:)`` and ``receive(into:)`` do not allocate: endpoints are converted to and
/// from a `sockaddr_storage` on the stack. They may be called from different threads at the
/// same time; ``close()`` must not race with them.
///
/// Path MTU discovery is switched off (IP_PMTUDISC_DONT, and IPV6_PMTUDISC_DONT): the
/// kernel then sends outer datagrams without the DF bit and fragments those larger than the
/// path MTU, instead of failing them with EMSGSIZE. An encapsulated frame that does not fit
/// is therefore delivered in fragments rather than dropped silently, which the mesh's MTU
/// policy requires.
public final class UDPSocket: @unchecked Sendable {
  /// Socket settings.
  public struct Options: Sendable {
    /// Reads return nil instead of waiting.
    public var nonBlocking = false
    /// SO_REUSEADDR: our later sockets (the per-peer connected ones) may bind the same
    /// address and port.
    public var reuseAddress = true
    /// Claim the address: bind without SO_REUSEADDR, so that the bind fails with EADDRINUSE
    /// while any other socket (another meshd's) holds the address and port, and only then
    /// set SO_REUSEADDR (with `reuseAddress`) so that our own per-peer sockets can share it.
    /// The per-peer sockets turn this off; a second daemon's main socket cannot.
    public var exclusiveBind = true
    /// The SO_RCVBUF/SO_SNDBUF size to ask for; beyond `net.core.rmem_max` it needs
    /// CAP_NET_ADMIN (SO_RCVBUFFORCE), else the kernel's limit applies. 0 keeps the default.
    public var bufferBytes = 4 << 20
    /// For an IPv6 bind: accept only IPv6 (IPV6_V6ONLY). When false, an IPv6 wildcard
    /// socket also serves IPv4 peers, reported as IPv4 endpoints.
    public var ipv6Only = false

    /// The defaults: blocking, SO_REUSEADDR, 4 MiB buffers, dual-stack.
    public init() {}
  }

  /// The descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32
  /// Whether the socket is AF_INET6.
  public let isIPv6: Bool
  /// The bound address, with the port the kernel chose if the requested port was 0.
  public let localEndpoint: Endpoint

  /// Creates a socket of the endpoint's family and binds it there.
  public init(bindingTo endpoint: Endpoint, options: Options = Options()) throws {
    isIPv6 = endpoint.isIPv6
    let family = isIPv6 ? AF_INET6 : AF_INET
    let fd = try Syscall.run("socket(AF_INET\(isIPv6 ? "6" : ""), SOCK_DGRAM)") {
      socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
    do {
      try Self.configure(fd, isIPv6: isIPv6, options: options)
      var storage = sockaddr_storage()
      let length = endpoint.write(to: &storage)
      _ = try withUnsafePointer(to: &storage) { p in
        try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
          try Syscall.run("bind(\(endpoint))") { bind(fd, sa, length) }
        }
      }
      if options.exclusiveBind, options.reuseAddress {
        try Syscall.setSocketOption(
          fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, call: "setsockopt(SO_REUSEADDR)")
      }
      var bound = sockaddr_storage()
      var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
      _ = try withUnsafeMutablePointer(to: &bound) { p in
        try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
          try Syscall.run("getsockname") { getsockname(fd, sa, &boundLength) }
        }
      }
      guard let local = Endpoint(reading: &bound, length: boundLength) else {
        throw SystemError(call: "getsockname", errno: EAFNOSUPPORT)
      }
      localEndpoint = local
    } catch {
      Syscall.close(fd)
      throw error
    }
    self.fd = fd
  }

  /// Asks for a receive buffer of `bytes` (SO_RCVBUFFORCE, else SO_RCVBUF within the
  /// kernel's limit, `net.core.rmem_max`); a refusal leaves the buffer as it was.
  public func setReceiveBuffer(bytes: Int) {
    let size = Int32(clamping: bytes)
    if (try? Syscall.setSocketOption(
      fd, level: SOL_SOCKET, name: SO_RCVBUFFORCE, value: size, call: "SO_RCVBUFFORCE"))
      == nil
    {
      try? Syscall.setSocketOption(
        fd, level: SOL_SOCKET, name: SO_RCVBUF, value: size, call: "SO_RCVBUF")
    }
  }

  private static func configure(_ fd: Int32, isIPv6: Bool, options: Options) throws {
    if options.reuseAddress, !options.exclusiveBind {
      try Syscall.setSocketOption(
        fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1, call: "setsockopt(SO_REUSEADDR)")
    }
    if options.bufferBytes > 0 {
      let size = Int32(clamping: options.bufferBytes)
      for (force, plain, label) in [
        (SO_RCVBUFFORCE, SO_RCVBUF, "SO_RCVBUF"), (SO_SNDBUFFORCE, SO_SNDBUF, "SO_SNDBUF"),
      ] {
        // Without CAP_NET_ADMIN the forced variant fails with EPERM: take what we may.
        if (try? Syscall.setSocketOption(
          fd, level: SOL_SOCKET, name: force, value: size, call: "setsockopt(\(label)FORCE)"))
          == nil
        {
          try Syscall.setSocketOption(
            fd, level: SOL_SOCKET, name: plain, value: size, call: "setsockopt(\(label))")
        }
      }
    }
    if isIPv6 {
      try Syscall.setSocketOption(
        fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: options.ipv6Only ? 1 : 0,
        call: "setsockopt(IPV6_V6ONLY)")
      try Syscall.setSocketOption(
        fd, level: Int32(IPPROTO_IPV6), name: IPV6_MTU_DISCOVER, value: IPV6_PMTUDISC_DONT,
        call: "setsockopt(IPV6_MTU_DISCOVER)")
    }
    // On a dual-stack socket this governs the IPv4-mapped traffic; failure there is harmless.
    let pmtu = Result {
      try Syscall.setSocketOption(
        fd, level: Int32(IPPROTO_IP), name: IP_MTU_DISCOVER, value: IP_PMTUDISC_DONT,
        call: "setsockopt(IP_MTU_DISCOVER)")
    }
    if !isIPv6 { try pmtu.get() }
    if options.nonBlocking { try Syscall.setNonBlocking(fd, true) }
  }

  deinit { Syscall.close(fd) }

  /// Closes the descriptor.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Connects the socket to `endpoint`: from then on it receives only that endpoint's
  /// datagrams. A connected socket bound to the same address and port as an unconnected one
  /// (both with SO_REUSEADDR) takes that peer's datagrams away from it, because the kernel
  /// prefers the more specific match: the peer gets a receive queue of its own.
  public func connect(to endpoint: Endpoint) throws {
    var storage = sockaddr_storage()
    let length = endpoint.write(to: &storage, asIPv6: isIPv6)
    let fd = self.fd
    _ = try withUnsafePointer(to: &storage) { p in
      try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        try Syscall.run("connect(\(endpoint))") { Glibc.connect(fd, sa, length) }
      }
    }
  }

  /// Switches between blocking and non-blocking receives.
  public func setNonBlocking(_ nonBlocking: Bool) throws {
    try Syscall.setNonBlocking(fd, nonBlocking)
  }

  /// The effective receive buffer size the kernel reports (twice the requested value, for
  /// its bookkeeping).
  public func receiveBufferSize() throws -> Int {
    Int(try Syscall.socketOption(fd, level: SOL_SOCKET, name: SO_RCVBUF, call: "SO_RCVBUF"))
  }

  /// Receives one datagram into `buffer`; returns its length and sender, or nil when the
  /// socket is non-blocking and nothing is waiting. A longer datagram is truncated.
  public func receive(into buffer: UnsafeMutableRawBufferPointer) throws
    -> (length: Int, from: Endpoint)?
  {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let fd = self.fd
    let received = try withUnsafeMutablePointer(to: &storage) { p in
      try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        try Syscall.runNonBlocking("recvfrom") {
          recvfrom(fd, buffer.baseAddress, buffer.count, 0, sa, &length)
        }
      }
    }
    guard let received else { return nil }
    guard let from = Endpoint(reading: &storage, length: length) else {
      throw SystemError(call: "recvfrom", errno: EAFNOSUPPORT, detail: "unknown sender family")
    }
    return (received, from)
  }

  /// Sends one datagram with the IP TTL (IPv6 hop limit) set to `hopLimit`, then restores the
  /// default. Rare (hole-punching openers), never on the per-packet path.
  public func send(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint, hopLimit: UInt8)
    throws
  {
    let fd = self.fd
    func set(_ level: Int32, _ name: Int32, _ value: Int32) {
      var v = value
      _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }
    set(Int32(IPPROTO_IP), IP_TTL, Int32(hopLimit))
    if isIPv6 { set(Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, Int32(hopLimit)) }
    defer {
      set(Int32(IPPROTO_IP), IP_TTL, -1)
      if isIPv6 { set(Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, -1) }
    }
    try send(bytes, to: endpoint)
  }

  /// Sends one datagram to `endpoint`. Throws ``SystemError``; with a non-blocking socket
  /// whose buffer is full, its ``SystemError/isWouldBlock`` is true and the datagram was
  /// dropped.
  public func send(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint) throws {
    var storage = sockaddr_storage()
    let length = endpoint.write(to: &storage, asIPv6: isIPv6)
    let fd = self.fd
    _ = try withUnsafePointer(to: &storage) { p in
      try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
        try Syscall.run("sendto") {
          sendto(fd, bytes.baseAddress, bytes.count, Syscall.noSignal, sa, length)
        }
      }
    }
  }
}
