import Logging
import MeshAPI
import MeshIO
import MeshLogic
import Synchronization

/// A listening socket a `RequestServer` accepts clients from: the control API's Unix socket
/// or the metrics port's TCP socket.
protocol RequestListener: Sendable {
  associatedtype Stream: RequestStream
  /// The descriptor the poller watches for waiting connections.
  var fd: Int32 { get }
  /// The next waiting connection, set non-blocking, or nil when none waits (or it failed).
  func acceptWaiting() -> Stream?
  /// Stops listening (and removes what the listener left on disk).
  func close()
}

/// One client's connection to a `RequestServer`.
protocol RequestStream {
  /// The descriptor the poller watches for the request's bytes.
  var fd: Int32 { get }
  /// Up to `max` bytes that arrived: nil when nothing is waiting, empty at the end of the
  /// stream. Throws when the connection failed.
  func readAvailable(max: Int) throws -> [UInt8]?
  /// Writes `bytes` whole, blocking for at most `timeoutSeconds` per write, errors ignored
  /// (the connection is closed next in any case).
  func answer(_ bytes: [UInt8], timeoutSeconds: Double)
  /// Closes the connection.
  func close()
}

/// An HTTP/1.1 server of one request per connection, on a thread of its own, for the
/// control API and the metrics port: what they share, so that both stay bounded alike.
///
/// One epoll loop serves many clients at once. Each connection reads without blocking and has
/// one deadline for its whole request (a client that trickles a byte at a time is cut off as
/// surely as an idle one), so slow clients cannot delay another client's request; at most
/// `maxConnections` are open, a new one past that closing the oldest, so a flood of idle
/// clients costs bounded memory and descriptors and never locks the operator out. The answer
/// is written blocking, but bounded by the same timeout.
final class RequestServer<Listener: RequestListener>: @unchecked Sendable {
  /// The most bytes read from a client at once.
  static var readChunk: Int { 4096 }
  /// The most connections accepted per turn, so the open ones get theirs.
  static var acceptsPerTurn: Int { 16 }

  let listener: Listener
  /// The thread's name, as `top -H` shows it.
  let name: String
  let maxConnections: Int
  let requestTimeoutSeconds: Double
  var thread: OSThread?
  let stopFlag = StopFlag()

  /// A client whose request is still arriving.
  struct Connection {
    let token: Int
    let stream: Listener.Stream
    let deadline: MeshInstant
    var parser = HTTPRequestParser()
  }

  /// Serves `listener` once started.
  init(listener: Listener, name: String, maxConnections: Int, requestTimeoutSeconds: Double) {
    self.listener = listener
    self.name = name
    self.maxConnections = maxConnections
    self.requestTimeoutSeconds = requestTimeoutSeconds
  }

  deinit { stop() }

  /// Starts serving on a new thread; `respond` answers each complete request and `refused`
  /// hears of each malformed one (answered with its error's response).
  func start(
    respond: @escaping @Sendable (HTTPRequest) -> HTTPResponse,
    refused: @escaping @Sendable (HTTPParseError) -> Void = { _ in }
  ) throws {
    let poller = try Poller(capacity: maxConnections)
    try poller.add(fd: listener.fd, token: 0)
    thread = try OSThread.spawn(name: name) { [self] in
      serve(poller, respond: respond, refused: refused)
    }
  }

  /// Stops serving and closes the listener (also when serving never started).
  func stop() {
    if let t = thread {
      thread = nil
      stopFlag.set()
      t.join()
    }
    listener.close()
  }

  func serve(
    _ poller: Poller, respond: (HTTPRequest) -> HTTPResponse,
    refused: (HTTPParseError) -> Void
  ) {
    var open: [Connection] = []
    var nextToken = 1
    var ready = [ReadyEvent](repeating: ReadyEvent(), count: maxConnections)
    let clock = SystemClock()
    while !stopFlag.isSet {
      let n = (try? poller.wait(timeoutMilliseconds: 100, into: &ready)) ?? 0
      for event in ready.prefix(n) where event.token != 0 {
        guard let i = open.firstIndex(where: { $0.token == event.token }) else { continue }
        if serveReadable(&open[i], respond: respond, refused: refused) {
          close(open.remove(at: i), poller)
        }
      }
      if ready.prefix(n).contains(where: { $0.token == 0 }) {
        var accepted = 0
        while accepted < RequestServer.acceptsPerTurn, let stream = listener.acceptWaiting() {
          accepted += 1
          guard (try? poller.add(fd: stream.fd, token: nextToken)) != nil else {
            stream.close()
            continue
          }
          if open.count >= maxConnections { close(open.removeFirst(), poller) }
          let deadline = clock.now().adding(seconds: requestTimeoutSeconds)
          open.append(Connection(token: nextToken, stream: stream, deadline: deadline))
          nextToken = nextToken == Int.max ? 1 : nextToken + 1
        }
      }
      let now = clock.now()
      while let i = open.firstIndex(where: { $0.deadline <= now }) {
        close(open.remove(at: i), poller)
      }
    }
    for c in open { close(c, poller) }
    poller.close()
  }

  func close(_ connection: Connection, _ poller: Poller) {
    try? poller.remove(fd: connection.stream.fd)
    connection.stream.close()
  }

  /// Reads what a client sent; answers once its request is complete or bad. Returns true when
  /// the connection is done (answered, closed by the client, or failed).
  func serveReadable(
    _ connection: inout Connection, respond: (HTTPRequest) -> HTTPResponse,
    refused: (HTTPParseError) -> Void
  ) -> Bool {
    let chunk: [UInt8]
    do {
      guard let got = try connection.stream.readAvailable(max: RequestServer.readChunk) else {
        return false
      }
      chunk = got
    } catch {
      return true
    }
    if chunk.isEmpty { return true }
    let response: HTTPResponse
    switch connection.parser.feed(chunk) {
    case .needMore: return false
    case .complete(let request): response = respond(request)
    case .error(let e):
      refused(e)
      response = e.response
    }
    connection.stream.answer(response.serialize(), timeoutSeconds: requestTimeoutSeconds)
    return true
  }
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}
