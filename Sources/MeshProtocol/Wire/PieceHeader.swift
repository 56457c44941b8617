/// The header of one piece of a message too large for the path to a peer (inner kind 7).
///
/// A sender whose path to a peer cannot carry a sealed message whole cuts the message's inner
/// plaintext (kind byte included) into pieces of `pieceLength` bytes (the last one shorter),
/// seals each piece in a datagram of its own, and the receiver puts them back together before
/// it parses the message. See docs/PROTOCOL.md, §4.7.
///
/// Layout after the kind byte: messageID (u32) · totalLength (u16) · pieceLength (u16) ·
/// index (1) · the piece's bytes.
public struct PieceHeader: Equatable, Sendable {
  /// The header size, kind byte included: the piece's bytes start here.
  public static let size = 1 + 4 + 2 + 2 + 1

  /// Tells the pieces of one message from those of another (per sender, wrapping).
  public var messageID: UInt32
  /// The length of the whole message (2 ... `WireLimits.maxReassembled`).
  public var totalLength: Int
  /// The length of every piece but the last (≥ `WireLimits.minPieceLength`).
  public var pieceLength: Int
  /// This piece's position, 0-based (< `pieceCount`).
  public var index: Int

  /// Creates a header from its fields.
  public init(messageID: UInt32, totalLength: Int, pieceLength: Int, index: Int) {
    self.messageID = messageID
    self.totalLength = totalLength
    self.pieceLength = pieceLength
    self.index = index
  }

  /// The number of pieces the message is cut into.
  public var pieceCount: Int { (totalLength + pieceLength - 1) / max(pieceLength, 1) }

  /// Where this piece's bytes go in the message.
  public var offset: Int { index * pieceLength }

  /// The length of this piece's bytes: `pieceLength`, or what is left for the last piece.
  public var length: Int { min(pieceLength, totalLength - offset) }

  /// Whether the fields describe a real cut: at least two pieces, no more than
  /// `WireLimits.maxPieces`, within the bounds, this piece among them.
  public var isValid: Bool {
    totalLength >= 2 && totalLength <= WireLimits.maxReassembled
      && pieceLength >= WireLimits.minPieceLength && pieceLength < totalLength
      && pieceCount <= WireLimits.maxPieces && index >= 0 && index < pieceCount
  }
}
