/// Reads a DNS message from bytes, bounds-checking every access: malformed input throws a
/// ``DNSParseError`` and never traps.
struct DNSMessageReader {
  let bytes: [UInt8]
  var position = 0

  init(_ bytes: [UInt8]) throws(DNSParseError) {
    guard bytes.count <= DNSLimits.maxMessage else { throw .oversized }
    self.bytes = bytes
  }

  mutating func readMessage() throws(DNSParseError) -> DNSMessage {
    let id = try u16()
    let flags = try u16()
    let qd = Int(try u16())
    let an = Int(try u16())
    let ns = Int(try u16())
    let ar = Int(try u16())
    guard qd <= DNSLimits.maxQuestions, an + ns + ar <= DNSLimits.maxRecords else {
      throw .tooManyRecords
    }
    // A question takes at least 5 bytes and a record 11: counts the rest cannot hold are
    // refused before anything is allocated for them.
    guard qd * 5 + (an + ns + ar) * 11 <= bytes.count - position else { throw .truncated }
    var message = DNSMessage(id: id, flags: flags)
    message.questions.reserveCapacity(qd)
    for _ in 0..<qd {
      let name = try readName()
      let type = DNSRecordType(rawValue: try u16())
      message.questions.append(DNSQuestion(name: name, type: type, recordClass: try u16()))
    }
    for _ in 0..<an { message.answers.append(try readRecord()) }
    for _ in 0..<ns { message.authorities.append(try readRecord()) }
    for _ in 0..<ar { message.additionals.append(try readRecord()) }
    // One OPT at most, and only among the additionals: the message has one EDNS setting.
    guard !message.answers.contains(where: { $0.type == .opt }),
      !message.authorities.contains(where: { $0.type == .opt }),
      message.additionals.lazy.filter({ $0.type == .opt }).count <= 1
    else { throw .badOPT }
    return message
  }

  mutating func u16() throws(DNSParseError) -> UInt16 {
    guard position + 2 <= bytes.count else { throw .truncated }
    defer { position += 2 }
    return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
  }

  mutating func u32() throws(DNSParseError) -> UInt32 {
    let hi = try u16()
    return UInt32(hi) << 16 | UInt32(try u16())
  }

  /// Reads a possibly compressed name at the current position and moves past it.
  mutating func readName() throws(DNSParseError) -> DNSName {
    let (name, next) = try DNSMessageReader.name(in: bytes, at: position)
    position = next
    return name
  }

  /// Reads the name at `start`; returns it and the position after its last byte in place
  /// (after the first pointer, if any). Every pointer must point before the lowest position
  /// read so far, so the walk only moves backwards between jumps and cannot loop.
  static func name(in bytes: [UInt8], at start: Int) throws(DNSParseError) -> (DNSName, Int) {
    var labels: [[UInt8]] = []
    var position = start
    var lowest = start
    var end: Int?
    var pointers = 0
    var total = 1
    while true {
      guard position < bytes.count else { throw .truncated }
      let length = Int(bytes[position])
      switch length & 0xC0 {
      case 0x00:
        if length == 0 {
          return (DNSName(checkedLabels: labels), end ?? position + 1)
        }
        guard position + 1 + length <= bytes.count else { throw .truncated }
        total += length + 1
        guard total <= DNSLimits.maxName else { throw .nameTooLong }
        labels.append(Array(bytes[(position + 1)..<(position + 1 + length)]))
        position += 1 + length
      case 0xC0:
        guard position + 1 < bytes.count else { throw .truncated }
        let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
        pointers += 1
        guard target < lowest, pointers <= DNSLimits.maxPointers else { throw .badPointer }
        if end == nil { end = position + 2 }
        position = target
        lowest = target
      default:
        // 0x40-0xBF: a length beyond 63 (the obsolete extended label types).
        throw .labelTooLong
      }
    }
  }

  mutating func readRecord() throws(DNSParseError) -> DNSRecord {
    let name = try readName()
    let type = DNSRecordType(rawValue: try u16())
    let recordClass = try u16()
    let ttl = try u32()
    let length = Int(try u16())
    let start = position
    let end = start + length
    guard end <= bytes.count else { throw .truncated }
    let data: DNSRecord.Data
    switch type {
    case .a where recordClass == DNSQuestion.classIN:
      guard length == 4 else { throw .badRecordData }
      data = .a(try u32())
    case .ptr, .cname, .ns:
      data = .name(try readName())
    case .srv:
      guard length >= 7 else { throw .badRecordData }
      let priority = try u16()
      let weight = try u16()
      let port = try u16()
      data = .srv(priority: priority, weight: weight, port: port, target: try readName())
    case .soa:
      let primary = try readName()
      let mailbox = try readName()
      var values: [UInt32] = []
      for _ in 0..<5 { values.append(try u32()) }
      data = .soa(primary: primary, mailbox: mailbox, values: values)
    default:
      data = .raw(Array(bytes[start..<end]))
      position = end
    }
    guard position == end else { throw .badRecordData }
    return DNSRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data)
  }
}
