import Logging
import MeshAPI
import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes
import Synchronization

/// The DNS server's thread: its poller, sockets and state. Everything here runs on that one
/// thread; only the status snapshot and the TCP forwarders' results cross to other threads.
final class DNSServerLoop {
  /// How long one wait lasts at most, so timers run without traffic (milliseconds).
  static let tickMilliseconds: Int32 = 200
  /// How often the bridge's address is looked at once bound (seconds).
  static let addressCheckSeconds = 1.0
  /// How often it is looked at while the server waits for one (seconds): an IPAM claim's
  /// address is served within this, so `meshd docker-opts` right after the claim sees it.
  static let unboundCheckSeconds = 0.2
  /// The most datagrams read from one socket per wake, so neither socket starves the other.
  static let batch = 64
  /// The most queries read from the UDP socket per ``budgetWindowSeconds``: past it the
  /// socket is not read until the window ends, and the rest of a flood is dropped by the
  /// kernel (its receive queue full) instead of costing this thread, and the host's CPU,
  /// a system call each. 2048 per 100 ms is far more than containers ask of a host.
  static let udpBudget = 2048
  /// The length of one budget window.
  static let budgetWindowSeconds = 0.1
  /// The poller's timeout while the UDP socket waits for the next window (milliseconds).
  static let pausedTickMilliseconds: Int32 = 10
  /// The most TCP clients connected at once; more are closed at accept.
  static let maxTCPConnections = 64
  /// Seconds a TCP client may stay idle before it is closed (RFC 7766 suggests seconds).
  static let tcpIdleSeconds = 10.0
  /// The most answer bytes queued for one TCP client that does not read them; beyond it the
  /// connection is closed.
  static let maxTCPOutput = 1 << 18
  /// The most TCP queries being forwarded upstream at once (each on a short-lived thread).
  static let maxTCPForwards = 16
  /// Seconds a TCP exchange with an upstream may take per step.
  static let upstreamTCPTimeoutSeconds = 2.0

  enum Token {
    static let wake = 0
    static let udp = 1
    static let listener = 2
    static let upstream = 3
    static let tcpDone = 4
    static let firstConnection = 16
  }

  /// Where a query came from, and so where its answer goes.
  enum Client {
    case udp(Endpoint)
    case tcp(Int)
  }

  /// A finished TCP forward: the worker, the connection, the query and the upstream's answer.
  struct TCPForwardResult: Sendable {
    var worker: Int
    var connection: Int
    var query: DNSMessage
    var answer: [UInt8]?
  }

  /// The finished TCP forwards, handed from the forwarding threads to the loop.
  final class TCPForwardResults: Sendable {
    let list = Mutex<[TCPForwardResult]>([])
  }

  let server: DNSServer
  let wake: EventNotifier
  let poller: Poller
  let clock = SystemClock()
  var random = SystemRandom()
  let logger: Logger
  var resolver: DNSResolver
  var limiter = DNSRateLimiter()
  var forwarder = DNSForwarder(upstreams: [])
  var status: DNSStatus

  var udp: UDPSocket?
  var listener: TCPListener?
  var upstream: UDPSocket?
  var bound: UInt32?
  var boundIndex: Int32?
  var lastBindError: String?
  var nextAddressCheck = MeshInstant(nanoseconds: 0)
  var nextHousekeeping = MeshInstant(nanoseconds: 0)
  var windowStart = MeshInstant(nanoseconds: 0)
  var windowCount = 0
  var udpPaused = false

  var connections: [Int: DNSTCPConnection] = [:]
  var nextToken = Token.firstConnection
  var workers: [Int: OSThread] = [:]
  var nextWorker = 0
  let tcpDone = TCPForwardResults()
  let tcpNotifier: EventNotifier
  var buffer = [UInt8](repeating: 0, count: DNSLimits.maxMessage)

  init(server: DNSServer, wake: EventNotifier) throws {
    self.server = server
    self.wake = wake
    logger = server.configuration.logger
    resolver = DNSResolver(domain: server.configuration.domain)
    status = server.status()
    poller = try Poller(capacity: 64)
    tcpNotifier = try EventNotifier()
    try poller.add(fd: wake.fd, token: Token.wake)
    try poller.add(fd: tcpNotifier.fd, token: Token.tcpDone)
  }

  func run() {
    var events = [ReadyEvent](repeating: ReadyEvent(), count: 64)
    while !server.stopping.load(ordering: .acquiring) {
      let n =
        (try? poller.wait(timeoutMilliseconds: DNSServerLoop.tickMilliseconds, into: &events)) ?? 0
      let now = clock.now()
      for event in events.prefix(n) { handle(event, now: now) }
      housekeeping(now: now)
      let snapshot = status
      server.published.withLock { $0 = snapshot }
    }
    closeSockets()
    for (_, worker) in workers { worker.join() }
    workers = [:]
  }

  func handle(_ event: ReadyEvent, now: MeshInstant) {
    switch event.token {
    case Token.wake:
      wake.drain()
    case Token.udp:
      readQueries(now: now)
    case Token.listener:
      acceptConnections(now: now)
    case Token.upstream:
      readUpstreamAnswers()
    case Token.tcpDone:
      tcpNotifier.drain()
      finishTCPForwards()
    default:
      serviceConnection(event, now: now)
    }
  }

  func readQueries(now: MeshInstant) {
    guard let udp, !udpPaused else { return }
    if now.seconds(since: windowStart) >= DNSServerLoop.budgetWindowSeconds {
      (windowStart, windowCount) = (now, 0)
    }
    for _ in 0..<DNSServerLoop.batch {
      guard windowCount < DNSServerLoop.udpBudget else {
        // Level-triggered epoll would wake at once for the waiting datagrams: stop watching
        // the socket until the window ends (see `housekeeping`).
        udpPaused = (try? poller.modify(fd: udp.fd, token: Token.udp, events: [])) != nil
        status.budgetPauses += 1
        return
      }
      let received = try? buffer.withUnsafeMutableBytes { try udp.receive(into: $0) }
      guard let (length, from) = received ?? nil else { return }
      windowCount += 1
      status.queries += 1
      // The limit is checked before anything is copied: a flood's excess costs no allocation.
      guard limiter.allow(from.address, now: now) else {
        status.rateLimited += 1
        continue
      }
      handleQuery(Array(buffer[0..<length]), client: .udp(from), now: now)
    }
  }

  func readUpstreamAnswers() {
    guard let upstream else { return }
    for _ in 0..<DNSServerLoop.batch {
      let received = try? buffer.withUnsafeMutableBytes { try upstream.receive(into: $0) }
      guard let (length, from) = received ?? nil else { return }
      if let (answer, client) = forwarder.answer(Array(buffer[0..<length]), from: from) {
        send(answer, to: .udp(client))
      }
    }
  }

  /// One query from a TCP client: counted and rate-limited, then handled.
  func handleTCPQuery(_ bytes: [UInt8], from source: Endpoint, token: Int, now: MeshInstant) {
    status.queries += 1
    guard limiter.allow(source.address, now: now) else {
      status.rateLimited += 1
      return
    }
    handleQuery(bytes, client: .tcp(token), now: now)
  }

  /// One query that passed the rate limit: parse, then answer, forward or drop.
  func handleQuery(_ bytes: [UInt8], client: Client, now: MeshInstant) {
    let query: DNSMessage
    do {
      query = try DNSMessage(parsing: bytes)
    } catch {
      status.malformed += 1
      if let reply = DNSServerLoop.formatError(for: bytes) { send(reply, to: client) }
      return
    }
    let snapshot = server.names.snapshot()
    resolver.load(snapshot.entries, generation: snapshot.generation)
    switch resolver.decide(query, random: &random) {
    case .drop:
      return
    case .answer(let reply):
      status.answered += 1
      if reply.responseCode == DNSResponseCode.nameError.rawValue { status.nxdomain += 1 }
      let limit: Int
      if case .udp = client { limit = query.udpPayloadLimit } else { limit = DNSLimits.maxMessage }
      send(reply.serialized(maxSize: limit), to: client)
    case .forward:
      if forward(bytes, query: query, client: client, now: now) {
        status.forwarded += 1
      } else {
        status.upstreamFailures += 1
        send(DNSServerLoop.serverFailure(query), to: client)
      }
    }
  }

  func forward(_ bytes: [UInt8], query: DNSMessage, client: Client, now: MeshInstant) -> Bool {
    switch client {
    case .udp(let endpoint):
      guard let upstream,
        let (out, to) = forwarder.forward(bytes, from: endpoint, now: now, random: &random)
      else { return false }
      return (try? out.withUnsafeBytes { try upstream.send($0, to: to) }) != nil
    case .tcp(let token):
      return startTCPForward(bytes, query: query, connection: token)
    }
  }

  func send(_ bytes: [UInt8], to client: Client) {
    switch client {
    case .udp(let endpoint):
      _ = try? bytes.withUnsafeBytes { try udp?.send($0, to: endpoint) }
    case .tcp(let token):
      guard let connection = connections[token] else { return }
      guard connection.output.count < DNSServerLoop.maxTCPOutput else {
        close(token: token, connection)
        return
      }
      connection.enqueue(bytes)
      flush(connection, token: token)
    }
  }

  /// A header-only FORMERR for a query that did not parse, when at least its header did and
  /// it is not itself a response; nil otherwise (then nothing is said).
  static func formatError(for bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= DNSLimits.headerSize, bytes[2] & 0x80 == 0 else { return nil }
    var reply = [UInt8](repeating: 0, count: DNSLimits.headerSize)
    reply[0] = bytes[0]
    reply[1] = bytes[1]
    reply[2] = 0x80 | (bytes[2] & 0x79)
    reply[3] = DNSResponseCode.formatError.rawValue
    return reply
  }

  /// SERVFAIL for `query` (no upstream, or none answered).
  static func serverFailure(_ query: DNSMessage) -> [UInt8] {
    var reply = DNSMessage(answering: query)
    reply.set(DNSMessage.raBit, true)
    reply.responseCode = DNSResponseCode.serverFailure.rawValue
    return reply.serialized(maxSize: DNSLimits.classicUDPSize)
  }

  func housekeeping(now: MeshInstant) {
    if udpPaused, now.seconds(since: windowStart) >= DNSServerLoop.budgetWindowSeconds,
      let udp
    {
      udpPaused = (try? poller.modify(fd: udp.fd, token: Token.udp, events: .read)) == nil
      (windowStart, windowCount) = (now, 0)
    }
    if now >= nextAddressCheck {
      checkAddress()
      nextAddressCheck = now.adding(
        seconds: bound == nil
          ? DNSServerLoop.unboundCheckSeconds : DNSServerLoop.addressCheckSeconds)
    }
    guard now >= nextHousekeeping else { return }
    nextHousekeeping = now.adding(nanoseconds: UInt64(DNSServerLoop.tickMilliseconds) * 1_000_000)
    let (retries, gaveUp) = forwarder.expire(now: now)
    status.upstreamFailures += UInt64(gaveUp)
    for (bytes, to) in retries {
      _ = try? bytes.withUnsafeBytes { try upstream?.send($0, to: to) }
    }
    for (token, connection) in connections
    where now.seconds(since: connection.lastActive) > DNSServerLoop.tcpIdleSeconds {
      close(token: token, connection)
    }
  }
}
