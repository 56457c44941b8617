/// An incremental decoder of HTTP/1.1 chunked transfer coding (RFC 9112, 7.1), as the Docker
/// Engine API streams its events and may send longer answers.
///
/// Bounded: a chunk-size line (extensions included) is at most `maxSizeLine` bytes, a chunk
/// at most `maxChunkSize` bytes (its data is passed through as it arrives, never buffered
/// whole), the trailer section at most `maxTrailerBytes`. Data after the last chunk is
/// ignored.
public struct ChunkedDecoder: Sendable {
  /// The longest chunk-size line, extensions included, line end excluded.
  public static let maxSizeLine = 256
  /// The largest chunk: 16 MiB (at most 7 hex digits without leading zeros).
  public static let maxChunkSize = 16 * 1024 * 1024
  /// The largest trailer section.
  public static let maxTrailerBytes = 8 * 1024

  private enum State: Sendable {
    /// Reading a chunk-size line (`line` so far).
    case size(line: [UInt8])
    /// Passing `remaining` data bytes through.
    case data(remaining: Int)
    /// Expecting the CRLF after a chunk's data; `sawCR` once the CR arrived.
    case dataEnd(sawCR: Bool)
    /// Reading trailer lines: bytes of this line and of the whole section so far.
    case trailer(lineLength: Int, total: Int)
    /// The last chunk and its trailers arrived.
    case done
  }

  private var state = State.size(line: [])

  /// A decoder at the start of a chunked body.
  public init() {}

  /// Whether the last chunk (and the trailers) arrived.
  public var isComplete: Bool {
    if case .done = state { return true }
    return false
  }

  /// Decodes `bytes`, appending the body data they carry to `out`.
  public mutating func decode(
    _ bytes: some Collection<UInt8>, into out: inout [UInt8]
  ) throws(HTTPResponseParseError) {
    var index = bytes.startIndex
    while index != bytes.endIndex {
      switch state {
      case .done:
        return
      case .size(var line):
        let byte = bytes[index]
        index = bytes.index(after: index)
        if byte == UInt8(ascii: "\n") {
          if line.last == UInt8(ascii: "\r") { line.removeLast() }
          let size = try Self.chunkSize(line)
          state = size == 0 ? .trailer(lineLength: 0, total: 0) : .data(remaining: size)
        } else {
          guard line.count < Self.maxSizeLine + 1 else { throw .badChunk }
          line.append(byte)
          state = .size(line: line)
        }
      case .data(let remaining):
        let available = bytes.distance(from: index, to: bytes.endIndex)
        let take = min(available, remaining)
        let end = bytes.index(index, offsetBy: take)
        out.append(contentsOf: bytes[index..<end])
        index = end
        state = take == remaining ? .dataEnd(sawCR: false) : .data(remaining: remaining - take)
      case .dataEnd(let sawCR):
        let byte = bytes[index]
        index = bytes.index(after: index)
        if byte == UInt8(ascii: "\r"), !sawCR {
          state = .dataEnd(sawCR: true)
        } else if byte == UInt8(ascii: "\n") {
          state = .size(line: [])
        } else {
          throw .badChunk
        }
      case .trailer(let lineLength, let total):
        let byte = bytes[index]
        index = bytes.index(after: index)
        guard total + 1 <= Self.maxTrailerBytes else { throw .badChunk }
        if byte == UInt8(ascii: "\n") {
          state = lineLength == 0 ? .done : .trailer(lineLength: 0, total: total + 1)
        } else if byte == UInt8(ascii: "\r") {
          state = .trailer(lineLength: lineLength, total: total + 1)
        } else {
          state = .trailer(lineLength: lineLength + 1, total: total + 1)
        }
      }
    }
  }

  /// The size a chunk-size line gives: hex digits, then optional `;extensions`.
  static func chunkSize(_ line: [UInt8]) throws(HTTPResponseParseError) -> Int {
    let digits = line.prefix { $0 != UInt8(ascii: ";") }
    let trimmed = digits.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
    guard !trimmed.isEmpty else { throw .badChunk }
    var size = 0
    for byte in trimmed {
      let value: Int
      switch byte {
      case 0x30...0x39: value = Int(byte - 0x30)
      case 0x41...0x46: value = Int(byte - 0x41 + 10)
      case 0x61...0x66: value = Int(byte - 0x61 + 10)
      default: throw .badChunk
      }
      size = size * 16 + value
      guard size <= maxChunkSize else { throw .badChunk }
    }
    return size
  }
}
