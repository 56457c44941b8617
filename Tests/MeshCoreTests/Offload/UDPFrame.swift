/// Builds Ethernet + IPv4 + UDP frames with correct checksums for the offload tests.
enum UDPFrame {
  static func make(
    dst: [UInt8] = [2, 0, 0, 0, 0, 2], src: [UInt8] = [2, 0, 0, 0, 0, 1],
    from: [UInt8] = [10, 47, 0, 1], to: [UInt8] = [10, 47, 0, 2], sourcePort: UInt16 = 7000,
    destinationPort: UInt16 = 5400, payload: [UInt8], protocolNumber: UInt8 = 17,
    fragmentField: UInt16 = 0x4000, ttl: UInt8 = 64, identification: UInt16 = 1
  ) -> [UInt8] {
    let udpLength = 8 + payload.count
    var ip: [UInt8] = [0x45, 0, UInt8((20 + udpLength) >> 8), UInt8((20 + udpLength) & 0xFF)]
    ip += [UInt8(identification >> 8), UInt8(identification & 0xFF)]
    ip += [UInt8(fragmentField >> 8), UInt8(fragmentField & 0xFF), ttl, protocolNumber, 0, 0]
    ip += from + to
    let ipSum = ~fold(sum(ip))
    ip[10] = UInt8(ipSum >> 8)
    ip[11] = UInt8(ipSum & 0xFF)
    var udp: [UInt8] = [
      UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8),
      UInt8(destinationPort & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0,
    ]
    let pseudo = sum(from + to) + 17 + UInt32(udpLength)
    let udpSum = ~fold(pseudo + sum(udp + payload))
    udp[6] = UInt8(udpSum >> 8)
    udp[7] = UInt8(udpSum & 0xFF)
    return dst + src + [0x08, 0x00] + ip + udp + payload
  }

  /// The one's-complement sum of big-endian 16-bit words.
  static func sum(_ bytes: [UInt8]) -> UInt32 {
    var total: UInt32 = 0
    var i = 0
    while i < bytes.count {
      total += UInt32(bytes[i]) << 8 | (i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0)
      i += 2
    }
    return total
  }

  static func fold(_ s: UInt32) -> UInt16 {
    var s = s
    while s > 0xFFFF { s = (s & 0xFFFF) + (s >> 16) }
    return UInt16(s)
  }

  static func u16(_ bytes: [UInt8], _ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
}
