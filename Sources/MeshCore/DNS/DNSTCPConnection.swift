import MeshIO
import MeshTypes

/// One client's TCP connection to the DNS server: two-byte length-prefixed messages in both
/// directions (RFC 1035 4.2.2, RFC 7766), with what is read but not yet whole, and what is
/// written but not yet sent.
final class DNSTCPConnection {
  let stream: TCPStream
  let peer: Endpoint
  var input: [UInt8] = []
  var output: [UInt8] = []
  var lastActive: MeshInstant
  /// Whether the poller also watches for writability (output is waiting).
  var watchesWrite = false

  init(stream: TCPStream, peer: Endpoint, now: MeshInstant) {
    self.stream = stream
    self.peer = peer
    lastActive = now
  }

  /// Takes the whole messages out of what has been read.
  func takeMessages() -> [[UInt8]] {
    var messages: [[UInt8]] = []
    var start = 0
    while input.count - start >= 2 {
      let length = Int(input[start]) << 8 | Int(input[start + 1])
      guard input.count - start - 2 >= length else { break }
      messages.append(Array(input[(start + 2)..<(start + 2 + length)]))
      start += 2 + length
    }
    if start > 0 { input.removeFirst(start) }
    return messages
  }

  /// Queues one message (length-prefixed).
  func enqueue(_ message: [UInt8]) {
    let length = min(message.count, Int(UInt16.max))
    output.append(UInt8(length >> 8))
    output.append(UInt8(truncatingIfNeeded: length))
    output.append(contentsOf: message.prefix(length))
  }

  /// Sends what the socket takes now; returns false when the connection failed.
  func flush() -> Bool {
    while !output.isEmpty {
      let written: Int?
      do {
        written = try output.withUnsafeBytes { try stream.write($0) }
      } catch {
        return false
      }
      guard let written else { return true }
      output.removeFirst(written)
    }
    return true
  }
}
