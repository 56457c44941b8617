import MeshCore

/// Builders shared by the DNS suites.
enum DNSFixture {
  static let domain = DNSName("mesh.internal")!
  static let host1 = PeerID(rawValue: 1)
  static let host2 = PeerID(rawValue: 2)

  /// `a.b.c.d` as a host-order address.
  static func ip(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32) -> UInt32 {
    a << 24 | b << 16 | c << 8 | d
  }

  /// A standard query for `name` and `type`, RD set, optionally with EDNS.
  static func query(
    _ name: String, _ type: DNSRecordType = .a, id: UInt16 = 0x4242, edns: UInt16? = nil
  ) -> DNSMessage {
    var m = DNSMessage(
      id: id, flags: DNSMessage.rdBit, questions: [DNSQuestion(name: DNSName(name)!, type: type)])
    if let edns { m.additionals = [.opt(udpSize: edns)] }
    return m
  }

  /// A header of 12 bytes with the given counts.
  static func header(id: UInt16 = 1, flags: UInt16 = 0x0100, qd: UInt16 = 1, an: UInt16 = 0)
    -> [UInt8]
  {
    [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF)]
      + [UInt8(qd >> 8), UInt8(qd & 0xFF), UInt8(an >> 8), UInt8(an & 0xFF), 0, 0, 0, 0]
  }

  /// A name in uncompressed wire form.
  static func wireName(_ labels: [String]) -> [UInt8] {
    labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
  }
}
