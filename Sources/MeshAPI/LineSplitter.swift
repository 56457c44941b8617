/// Cuts a byte stream into lines (ended by LF, a CR before it dropped), each at most
/// `maxLine` bytes: Docker's event stream is one JSON object per line, with chunk boundaries
/// anywhere.
public struct LineSplitter: Sendable {
  /// The longest line kept.
  public let maxLine: Int
  private var partial: [UInt8] = []

  /// A splitter for lines of at most `maxLine` bytes.
  public init(maxLine: Int) { self.maxLine = maxLine }

  /// A line was longer than `maxLine`.
  public struct LineTooLong: Error, Equatable {}

  /// The complete lines in what arrived so far (empty lines skipped); keeps the rest.
  public mutating func feed(_ bytes: some Collection<UInt8>) throws(LineTooLong) -> [[UInt8]] {
    var lines: [[UInt8]] = []
    for byte in bytes {
      if byte == UInt8(ascii: "\n") {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        if !partial.isEmpty { lines.append(partial) }
        partial.removeAll(keepingCapacity: true)
      } else {
        guard partial.count < maxLine else { throw LineTooLong() }
        partial.append(byte)
      }
    }
    return lines
  }
}
