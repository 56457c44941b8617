/// The header of a transport datagram (type 4), parsed and written without allocation.
///
/// Layout: header (4) · receiverIndex (u32) · counter (u64) · ciphertext. The ciphertext is
/// the sealed inner plaintext with its 16-byte tag; the counter is the AEAD nonce and the
/// replay-window input.
public struct TransportHeader: Equatable, Sendable {
  /// The length of the header; the ciphertext starts here.
  public static let size = 16
  /// The smallest transport datagram: header, one plaintext byte (the kind) and the tag.
  public static let minDatagram = WireLimits.minTransport
  /// The largest transport datagram.
  public static let maxDatagram = WireLimits.maxDatagram

  /// The receiver's session index, chosen by the receiver during the handshake.
  public var receiverIndex: UInt32
  /// The sender's message counter (AEAD nonce).
  public var counter: UInt64
  /// Where the ciphertext starts in the datagram: always `size`.
  public var ciphertextOffset: Int { Self.size }
  /// The length of the ciphertext, tag included (≥ 17).
  public var ciphertextLength: Int

  /// The ciphertext bytes as a range of the datagram.
  public var ciphertextRange: Range<Int> { ciphertextOffset..<ciphertextOffset + ciphertextLength }

  /// The length of the plaintext once decrypted: ciphertext minus tag (≥ 1).
  public var plaintextLength: Int { ciphertextLength - WireLimits.aeadTag }

  /// Creates a header value from its fields.
  public init(receiverIndex: UInt32, counter: UInt64, ciphertextLength: Int) {
    self.receiverIndex = receiverIndex
    self.counter = counter
    self.ciphertextLength = ciphertextLength
  }

  /// Parses a whole transport datagram: checks the common header, the type and the length
  /// bounds (`.truncated` below `minDatagram`, `.oversized` above `maxDatagram`).
  public static func parse(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> Self {
    try WireMessageType.transport.expect(in: datagram)
    guard datagram.count >= minDatagram else { throw .truncated }
    guard datagram.count <= maxDatagram else { throw .oversized }
    return TransportHeader(
      receiverIndex: datagram.le32(at: 4), counter: datagram.le64(at: 8),
      ciphertextLength: datagram.count - size)
  }

  /// Writes a transport header at the start of `buffer`; the caller then seals the plaintext
  /// at `size`. Returns the bytes written (`size`); `.truncated` if `buffer` is too short.
  @discardableResult
  public static func write(
    receiverIndex: UInt32, counter: UInt64, into buffer: UnsafeMutableRawBufferPointer
  ) throws(WireError) -> Int {
    guard buffer.count >= size else { throw .truncated }
    WireMessageType.transport.writeHeader(into: buffer)
    buffer.storeLE32(receiverIndex, at: 4)
    buffer.storeLE64(counter, at: 8)
    return size
  }
}
