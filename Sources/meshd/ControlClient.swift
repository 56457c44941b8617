import Foundation
import MeshCore
import MeshIO

/// A one-request HTTP client for the daemon's control socket.
struct ControlClient {
  let socketPath: String

  /// Sends a request and returns the status code and body. Throws a one-line error when the
  /// daemon is not there.
  func request(_ method: String, _ path: String) throws -> (status: Int, body: [UInt8]) {
    let stream: UnixStream
    do {
      stream = try UnixStream.connect(path: socketPath)
    } catch {
      throw CLIError("cannot reach meshd at \(socketPath): \(error) (is `meshd up` running?)")
    }
    defer { stream.close() }
    try stream.writeAll(
      Array("\(method) \(path) HTTP/1.1\r\nHost: meshd\r\nContent-Length: 0\r\n\r\n".utf8))
    var response: [UInt8] = []
    while response.count < 4 << 20 {
      let chunk = try stream.read(max: 65536)
      if chunk.isEmpty { break }
      response += chunk
    }
    guard let split = findHeaderEnd(response) else {
      throw CLIError("meshd at \(socketPath) sent a malformed response")
    }
    let head = String(decoding: response[..<split], as: UTF8.self)
    let parts = head.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, let status = Int(parts[1]) else {
      throw CLIError("meshd at \(socketPath) sent a malformed status line")
    }
    return (status, Array(response[(split + 4)...]))
  }

  /// Sends a request and decodes a JSON object body; non-2xx answers become errors.
  func json(_ method: String, _ path: String) throws -> [String: Any] {
    let (status, body) = try request(method, path)
    let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    guard (200..<300).contains(status) else {
      throw CLIError((object?["error"] as? String) ?? "meshd answered \(status)")
    }
    guard let object else { throw CLIError("meshd sent a body that is not a JSON object") }
    return object
  }

  private func findHeaderEnd(_ b: [UInt8]) -> Int? {
    guard b.count >= 4 else { return nil }
    for i in 0...(b.count - 4)
    where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
      return i
    }
    return nil
  }
}
