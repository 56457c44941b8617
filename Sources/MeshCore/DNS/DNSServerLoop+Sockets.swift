import Logging
import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes

/// Binding to the bridge's address, and the TCP side: clients, and forwards to upstreams.
extension DNSServerLoop {
  /// Binds to the bridge's first IPv4 address, or rebinds when it changed or the bridge was
  /// made again (a new interface index: the old sockets are bound to the old one), or closes
  /// the sockets when the bridge has none. A failed bind is logged once and retried.
  func checkAddress() {
    let config = server.configuration
    let netlink = try? RouteNetlink()
    let index = (try? netlink?.linkInfo(name: config.bridge))?.index
    let addresses = (try? netlink?.ipv4Addresses(link: config.bridge)) ?? []
    let wanted = index == nil ? nil : addresses.first?.address
    if wanted == bound, index == boundIndex, wanted == nil || udp != nil { return }
    closeSockets()
    guard let wanted else {
      status.address = nil
      return
    }
    let endpoint = Endpoint(address: .v4(wanted), port: config.port)
    do {
      try bind(endpoint)
      (bound, boundIndex) = (wanted, index)
      lastBindError = nil
      status.bindError = nil
      status.address = DNSServerLoop.dotted(wanted)
      logger.info(
        "DNS server on \(endpoint) (UDP and TCP, bridge \(config.bridge)) for \(config.domain)",
        metadata: ["upstreams": "\(forwarder.upstreams.map(\.description))"])
    } catch {
      closeSockets()
      let why = "\(error)"
      status.bindError = why
      if why != lastBindError {
        logger.error("DNS server cannot listen on \(endpoint): \(why); retrying")
        lastBindError = why
      }
    }
  }

  /// `a.b.c.d` for an IPv4 address.
  static func dotted(_ a: UInt32) -> String {
    "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF)"
  }

  func bind(_ endpoint: Endpoint) throws {
    let device = server.configuration.bridge
    var options = UDPSocket.Options()
    options.nonBlocking = true
    options.bufferBytes = 1 << 20
    let udp = try UDPSocket(bindingTo: endpoint, options: options)
    try udp.bindToDevice(device)
    let listener = try TCPListener(bindingTo: endpoint, device: device)
    let upstreams = server.upstreams(excluding: [endpoint.address])
    var upstreamOptions = UDPSocket.Options()
    upstreamOptions.nonBlocking = true
    upstreamOptions.exclusiveBind = false
    upstreamOptions.bufferBytes = 1 << 20
    let any = Endpoint(
      address: upstreams.contains { $0.isIPv6 } ? .v6(0, 0) : .v4(0), port: 0)
    let upstream = try UDPSocket(bindingTo: any, options: upstreamOptions)
    try poller.add(fd: udp.fd, token: Token.udp)
    try poller.add(fd: listener.fd, token: Token.listener)
    try poller.add(fd: upstream.fd, token: Token.upstream)
    self.udp = udp
    self.listener = listener
    self.upstream = upstream
    forwarder = DNSForwarder(upstreams: upstreams)
    status.upstreams = upstreams.map(\.description)
  }

  /// Closes the listening sockets and every client connection (closing removes them from
  /// the poller).
  func closeSockets() {
    udp?.close()
    listener?.close()
    upstream?.close()
    (udp, listener, upstream, bound, boundIndex) = (nil, nil, nil, nil, nil)
    udpPaused = false
    for (token, connection) in connections { close(token: token, connection) }
  }

  func acceptConnections(now: MeshInstant) {
    guard let listener else { return }
    for _ in 0..<DNSServerLoop.batch {
      guard let (stream, peer) = (try? listener.accept()) ?? nil else { return }
      guard connections.count < DNSServerLoop.maxTCPConnections else {
        stream.close()
        continue
      }
      let token = nextToken
      nextToken += 1
      guard (try? poller.add(fd: stream.fd, token: token)) != nil else { continue }
      connections[token] = DNSTCPConnection(stream: stream, peer: peer, now: now)
    }
  }

  func serviceConnection(_ event: ReadyEvent, now: MeshInstant) {
    guard let connection = connections[event.token] else { return }
    connection.lastActive = now
    if !connection.output.isEmpty {
      flush(connection, token: event.token)
      guard connections[event.token] != nil else { return }
    }
    guard event.isReadable || event.bits & 0x18 != 0 else { return }  // EPOLLERR | EPOLLHUP
    let read: Int?
    do {
      read = try buffer.withUnsafeMutableBytes { try connection.stream.read(into: $0) }
    } catch {
      close(token: event.token, connection)
      return
    }
    guard let count = read else { return }
    guard count > 0 else {
      close(token: event.token, connection)
      return
    }
    connection.input += buffer[0..<count]
    for message in connection.takeMessages() {
      handleTCPQuery(message, from: connection.peer, token: event.token, now: now)
    }
  }

  func flush(_ connection: DNSTCPConnection, token: Int) {
    guard connection.flush() else {
      close(token: token, connection)
      return
    }
    let wantsWrite = !connection.output.isEmpty
    guard wantsWrite != connection.watchesWrite else { return }
    connection.watchesWrite = wantsWrite
    _ = try? poller.modify(
      fd: connection.stream.fd, token: token, events: wantsWrite ? [.read, .write] : .read)
  }

  func close(token: Int, _ connection: DNSTCPConnection) {
    connection.stream.close()
    connections[token] = nil
  }

  /// Forwards a TCP client's query over TCP, on a short-lived thread (a TCP exchange blocks;
  /// there are few of them, bounded by ``maxTCPForwards``). False when none may start.
  func startTCPForward(_ bytes: [UInt8], query: DNSMessage, connection: Int) -> Bool {
    let upstreams = forwarder.upstreams
    guard !upstreams.isEmpty, workers.count < DNSServerLoop.maxTCPForwards else { return false }
    let worker = nextWorker
    nextWorker += 1
    let done = tcpDone
    let notifier = tcpNotifier
    let thread = try? OSThread.spawn(name: "meshd-dns-tcp") {
      var answer: [UInt8]?
      for upstream in upstreams {
        if let a = try? DNSServerLoop.exchangeTCP(bytes, with: upstream) {
          answer = a
          break
        }
      }
      let result = TCPForwardResult(
        worker: worker, connection: connection, query: query, answer: answer)
      done.list.withLock { $0.append(result) }
      notifier.signal()
    }
    guard let thread else { return false }
    workers[worker] = thread
    return true
  }

  func finishTCPForwards() {
    let results = tcpDone.list.withLock { list in
      defer { list = [] }
      return list
    }
    for result in results {
      workers.removeValue(forKey: result.worker)?.join()
      if let answer = result.answer {
        send(answer, to: .tcp(result.connection))
      } else {
        status.forwarded -= min(status.forwarded, 1)
        status.upstreamFailures += 1
        send(DNSServerLoop.serverFailure(result.query), to: .tcp(result.connection))
      }
    }
  }

  /// One query and its answer over a fresh TCP connection to `upstream`.
  static func exchangeTCP(_ query: [UInt8], with upstream: Endpoint) throws -> [UInt8] {
    let stream = try TCPStream.connect(to: upstream, timeoutSeconds: upstreamTCPTimeoutSeconds)
    defer { stream.close() }
    try stream.writeAll([UInt8(query.count >> 8), UInt8(truncatingIfNeeded: query.count)] + query)
    let prefix = try stream.readExactly(2)
    return try stream.readExactly(Int(prefix[0]) << 8 | Int(prefix[1]))
  }
}
