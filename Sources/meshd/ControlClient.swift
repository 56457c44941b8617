import MeshAPI
import MeshCore
import MeshIO

#if canImport(Glibc)
  import Glibc
#endif

/// A one-request HTTP client for the daemon's control socket, on MeshCore's own Unix stream
/// and HTTP response parser: it reads exactly what the daemon's `HTTPResponse` writes.
struct ControlClient {
  let socketPath: String

  /// How long a command waits for the whole answer before it gives up with an error line.
  static let timeoutSeconds = 10

  /// Sends a request and returns the daemon's response. Throws a one-line error when the
  /// daemon is not there, sends something that is not a bounded HTTP/1.1 response, or has not
  /// answered completely within `timeoutSeconds`.
  func request(_ method: String, _ path: String, body: [UInt8] = []) throws -> HTTPResponse {
    let stream: UnixStream
    do {
      stream = try UnixStream.connect(
        path: socketPath, timeoutSeconds: Double(Self.timeoutSeconds))
    } catch let e as SystemError where e.isWouldBlock {
      throw CLIError(
        "meshd at \(socketPath) did not accept the connection within \(Self.timeoutSeconds) s")
    } catch {
      throw CLIError("cannot reach meshd at \(socketPath): \(error) (is `meshd up` running?)")
    }
    defer { stream.close() }
    let what = "\(method) \(path)"
    do {
      var message = Array(
        "\(method) \(path) HTTP/1.1\r\nHost: meshd\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
      message += body
      defer { Sodium.memzero(&message) }  // the body may carry a key
      try stream.writeAll(message)
    } catch {
      throw CLIError("cannot send \(what) to meshd at \(socketPath): \(error)")
    }
    let timedOut = CLIError(
      "meshd at \(socketPath) did not answer \(what) within \(Self.timeoutSeconds) s")
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(Self.timeoutSeconds)
    var parser = HTTPResponseParser()
    var result = HTTPResponseParser.Result.needMore
    var buffer = [UInt8](repeating: 0, count: 65536)
    while result == .needMore {
      // Each read waits at most for what is left of the deadline (SO_RCVTIMEO), so a daemon
      // that answers slowly, byte by byte, is cut off as surely as one that never answers.
      let left = clock.now.duration(to: deadline)
      guard left > .zero else { throw timedOut }
      let (seconds, attoseconds) = left.components
      let n: Int
      do {
        try stream.setReceiveTimeout(
          seconds: max(Double(seconds) + Double(attoseconds) / 1e18, 0.001))
        n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
      } catch let e as SystemError where e.isWouldBlock {
        throw timedOut
      } catch {
        throw CLIError("cannot read meshd's answer to \(what) at \(socketPath): \(error)")
      }
      result = n == 0 ? parser.finish() : parser.feed(buffer[0..<n])
    }
    switch result {
    case .complete(let response): return response
    case .error(let e): throw CLIError("meshd at \(socketPath) sent a bad answer to \(what): \(e)")
    case .needMore: preconditionFailure("the loop runs until the answer is complete")
    }
  }

  /// Sends a request and decodes its JSON object body; a non-2xx answer becomes an error
  /// carrying the daemon's `error` text.
  func json(_ method: String, _ path: String, body: [UInt8] = []) throws -> JSONValue {
    let response = try request(method, path, body: body)
    let body = try? JSONValue.parse(response.body, maxInput: JSONParser.maxResponseInput)
    guard (200..<300).contains(response.status) else {
      throw CLIError(body?["error"]?.stringValue ?? "meshd answered \(response.status)")
    }
    guard let body, case .object = body else {
      throw CLIError("meshd sent a body that is not a JSON object")
    }
    return body
  }

  /// `GET /v1/status`, decoded into the typed status and the host facts it carries.
  func status() throws -> (MeshStatus, MeshStatus.HostFacts) {
    let document = try json("GET", "/v1/status")
    do {
      return (try MeshStatus(json: document), try MeshStatus.HostFacts(json: document))
    } catch {
      throw CLIError(error.description)
    }
  }
}
