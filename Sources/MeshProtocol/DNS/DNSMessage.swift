/// A DNS message (RFC 1035 4.1): header, questions and the three record sections.
///
/// ```swift
/// let query = try DNSMessage(parsing: datagram)       // throws DNSParseError, never traps
/// var answer = DNSMessage(answering: query)
/// answer.answers.append(DNSRecord(name: q.name, type: .a, ttl: 5, data: .a(addr)))
/// let bytes = answer.serialized(maxSize: query.udpPayloadLimit)  // compressed, TC if cut
/// ```
public struct DNSMessage: Hashable, Sendable {
  /// The query ID, copied into the answer.
  public var id: UInt16
  /// The second header word: QR, opcode, AA, TC, RD, RA, Z, AD, CD and the response code.
  public var flags: UInt16
  /// The questions (one in practice).
  public var questions: [DNSQuestion]
  /// The answer section.
  public var answers: [DNSRecord]
  /// The authority section.
  public var authorities: [DNSRecord]
  /// The additional section, OPT included.
  public var additionals: [DNSRecord]

  /// Creates a message from its parts.
  public init(
    id: UInt16, flags: UInt16 = 0, questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
    authorities: [DNSRecord] = [], additionals: [DNSRecord] = []
  ) {
    self.id = id
    self.flags = flags
    self.questions = questions
    self.answers = answers
    self.authorities = authorities
    self.additionals = additionals
  }

  /// An empty response to `query`: same ID, opcode, RD and CD bits, and questions, QR set.
  public init(answering query: DNSMessage) {
    self.init(id: query.id, questions: query.questions)
    flags = DNSMessage.qrBit | (query.flags & (DNSMessage.opcodeMask | DNSMessage.rdBit | 0x0010))
  }

  /// The QR bit: set in responses.
  public static let qrBit: UInt16 = 0x8000
  /// The opcode bits (0: a standard query).
  public static let opcodeMask: UInt16 = 0x7800
  /// The AA bit: the answer is authoritative.
  public static let aaBit: UInt16 = 0x0400
  /// The TC bit: the answer was truncated; ask again over TCP.
  public static let tcBit: UInt16 = 0x0200
  /// The RD bit: recursion desired.
  public static let rdBit: UInt16 = 0x0100
  /// The RA bit: recursion available.
  public static let raBit: UInt16 = 0x0080

  /// Whether this is a response.
  public var isResponse: Bool { flags & DNSMessage.qrBit != 0 }
  /// The opcode (0: a standard query).
  public var opcode: UInt8 { UInt8((flags & DNSMessage.opcodeMask) >> 11) }
  /// Whether the TC bit is set.
  public var isTruncated: Bool { flags & DNSMessage.tcBit != 0 }

  /// The response code, from the low four flag bits.
  public var responseCode: UInt8 {
    get { UInt8(flags & 0x000F) }
    set { flags = (flags & ~0x000F) | UInt16(newValue & 0x0F) }
  }

  /// Sets or clears one flag bit.
  public mutating func set(_ bit: UInt16, _ on: Bool) {
    flags = on ? flags | bit : flags & ~bit
  }

  /// The OPT record of the additional section, if any.
  public var ednsRecord: DNSRecord? { additionals.first { $0.type == .opt } }

  /// The largest UDP answer the sender of this query accepts: 512 bytes without EDNS, else
  /// its advertised size clamped to 512 ... ``DNSLimits/maxEDNSUDPSize``.
  public var udpPayloadLimit: Int {
    guard let opt = ednsRecord else { return DNSLimits.classicUDPSize }
    return min(max(Int(opt.recordClass), DNSLimits.classicUDPSize), DNSLimits.maxEDNSUDPSize)
  }

  /// Parses a whole message; throws ``DNSParseError`` for anything malformed or beyond the
  /// bounds in ``DNSLimits``. Trailing bytes after the last record are ignored.
  public init(parsing bytes: [UInt8]) throws(DNSParseError) {
    var reader = try DNSMessageReader(bytes)
    self = try reader.readMessage()
  }

  /// Reads just the ID of a message (or nil when shorter than two bytes): enough to match
  /// an upstream answer without parsing it.
  public static func peekID(_ bytes: [UInt8]) -> UInt16? {
    guard bytes.count >= 2 else { return nil }
    return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
  }

  /// The wire form, with name compression, at most `maxSize` bytes: when the answer or
  /// authority records do not fit, the ones that do are kept and TC is set; additional
  /// records that do not fit are left out (RFC 2181 9); an OPT record is always kept.
  public func serialized(maxSize: Int = DNSLimits.maxMessage) -> [UInt8] {
    var writer = DNSMessageWriter()
    return writer.write(self, maxSize: max(maxSize, DNSLimits.headerSize))
  }
}
