/// Writes a ``DNSMessage`` with name compression (RFC 1035 4.1.4) and truncation.
///
/// Every name suffix written at an offset a pointer can reach is remembered (ignoring case),
/// and a later occurrence becomes a two-byte pointer to it. SRV targets are written whole,
/// as RFC 2782 asks.
struct DNSMessageWriter {
  var bytes: [UInt8] = []
  var offsets: [DNSName: Int] = [:]

  /// The largest offset a 14-bit compression pointer can hold.
  static let maxPointerTarget = 0x3FFF

  mutating func write(_ m: DNSMessage, maxSize: Int) -> [UInt8] {
    let opt = m.additionals.first { $0.type == .opt }
    let others = m.additionals.filter { $0.type != .opt }
    bytes.reserveCapacity(min(maxSize, 1024))
    u16(m.id)
    u16(m.flags)
    u16(UInt16(m.questions.count))
    u16(0)
    u16(0)
    u16(0)
    for q in m.questions {
      name(q.name, compress: true)
      u16(q.type.rawValue)
      u16(q.recordClass)
    }
    // The OPT record goes last and always fits: its room is kept free while the rest goes in.
    let optSize = opt.map { 11 + DNSMessageWriter.rdataSize($0) } ?? 0
    let limit = maxSize - optSize
    var truncated = bytes.count > limit
    var counts = [0, 0, 0]
    for (section, records) in [m.answers, m.authorities, others].enumerated() {
      guard !truncated else { break }
      for r in records {
        let mark = (bytes.count, offsets)
        record(r)
        if bytes.count > limit {
          (bytes, offsets) = (Array(bytes.prefix(mark.0)), mark.1)
          // Required data cut: TC. Cut additional data is simply left out.
          truncated = section < 2
          break
        }
        counts[section] += 1
      }
    }
    if let opt {
      record(opt)
      counts[2] += 1
    }
    var flags = m.flags
    if truncated { flags |= DNSMessage.tcBit }
    put16(flags, at: 2)
    put16(UInt16(counts[0]), at: 6)
    put16(UInt16(counts[1]), at: 8)
    put16(UInt16(counts[2]), at: 10)
    return bytes
  }

  static func rdataSize(_ r: DNSRecord) -> Int {
    if case .raw(let b) = r.data { return b.count }
    return 0
  }

  mutating func u16(_ v: UInt16) {
    bytes.append(UInt8(v >> 8))
    bytes.append(UInt8(truncatingIfNeeded: v))
  }

  mutating func u32(_ v: UInt32) {
    u16(UInt16(v >> 16))
    u16(UInt16(truncatingIfNeeded: v))
  }

  mutating func put16(_ v: UInt16, at offset: Int) {
    bytes[offset] = UInt8(v >> 8)
    bytes[offset + 1] = UInt8(truncatingIfNeeded: v)
  }

  mutating func name(_ n: DNSName, compress: Bool) {
    let labels = n.labels
    for i in labels.indices {
      let suffix = DNSName(checkedLabels: Array(labels[i...]))
      if compress, let offset = offsets[suffix] {
        u16(0xC000 | UInt16(offset))
        return
      }
      if bytes.count <= DNSMessageWriter.maxPointerTarget, offsets[suffix] == nil {
        offsets[suffix] = bytes.count
      }
      bytes.append(UInt8(labels[i].count))
      bytes.append(contentsOf: labels[i])
    }
    bytes.append(0)
  }

  mutating func record(_ r: DNSRecord) {
    name(r.name, compress: true)
    u16(r.type.rawValue)
    u16(r.recordClass)
    u32(r.ttl)
    let lengthAt = bytes.count
    u16(0)
    switch r.data {
    case .a(let address):
      u32(address)
    case .name(let n):
      name(n, compress: true)
    case .srv(let priority, let weight, let port, let target):
      u16(priority)
      u16(weight)
      u16(port)
      name(target, compress: false)
    case .soa(let primary, let mailbox, let values):
      name(primary, compress: true)
      name(mailbox, compress: true)
      for i in 0..<5 { u32(i < values.count ? values[i] : 0) }
    case .raw(let b):
      bytes.append(contentsOf: b.prefix(Int(UInt16.max)))
    }
    put16(UInt16(truncatingIfNeeded: bytes.count - lengthAt - 2), at: lengthAt)
  }
}
