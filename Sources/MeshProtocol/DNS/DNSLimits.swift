/// The bounds the DNS codec enforces (RFC 1035 and what a hostile sender could abuse).
///
/// Every loop in the parser is bounded by one of these, so no input can make it spin, recurse
/// or allocate without limit.
public enum DNSLimits {
  /// The longest label, in bytes (RFC 1035 2.3.4).
  public static let maxLabel = 63
  /// The longest name on the wire, length bytes and the root's zero included (RFC 1035 2.3.4).
  public static let maxName = 255
  /// The most compression pointers one name may follow. Each pointer must also point before
  /// every position the name has read so far, so loops are impossible even without this.
  public static let maxPointers = 32
  /// The most records of all sections together that a message may declare.
  public static let maxRecords = 512
  /// The most questions a message may declare (a query we answer has exactly one).
  public static let maxQuestions = 8
  /// The largest DNS message (TCP's two-byte length prefix).
  public static let maxMessage = 65535
  /// The size every UDP answer must fit without EDNS (RFC 1035 4.2.1).
  public static let classicUDPSize = 512
  /// The largest UDP payload this server offers and honours with EDNS (the DNS flag day 2020
  /// value, which avoids IP fragmentation on common paths).
  public static let maxEDNSUDPSize = 1232
  /// The fixed part of a message: the 12-byte header.
  public static let headerSize = 12
}
