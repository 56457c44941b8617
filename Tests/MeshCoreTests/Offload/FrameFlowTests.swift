import MeshProtocol
import Testing

/// `FrameFlow.key`: one key per TCP/UDP connection, per IP pair for other protocols, per MAC
/// pair and ether type for the rest; every input gives a key.
@Suite("Offload: frame flows")
struct FrameFlowTests {
  static let macs: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]

  /// An IPv4 frame: `proto`, the two addresses' last bytes, ports, fragment field, payload.
  static func ipv4(
    proto: UInt8 = 6, src: UInt8 = 1, dst: UInt8 = 2, ports: (UInt16, UInt16) = (40000, 5201),
    fragment: UInt16 = 0, payload: Int = 100, fill: UInt8 = 0
  ) -> [UInt8] {
    var f = macs + [0x08, 0x00]
    f += [0x45, 0, 0, 0, 0, 0, UInt8(fragment >> 8), UInt8(fragment & 0xFF), 64, proto, 0, 0]
    f += [10, 47, 1, src, 10, 47, 1, dst]
    f += [UInt8(ports.0 >> 8), UInt8(ports.0 & 0xFF), UInt8(ports.1 >> 8), UInt8(ports.1 & 0xFF)]
    f += [UInt8](repeating: fill, count: payload)
    return f
  }

  static func ipv6(next: UInt8 = 17, ports: (UInt16, UInt16) = (53, 40000), fill: UInt8 = 0)
    -> [UInt8]
  {
    var f = macs + [0x86, 0xDD]
    f += [0x60, 0, 0, 0, 0, 8, next, 64]
    f += [UInt8](repeating: 0xFD, count: 15) + [1] + [UInt8](repeating: 0xFD, count: 15) + [2]
    f += [UInt8(ports.0 >> 8), UInt8(ports.0 & 0xFF), UInt8(ports.1 >> 8), UInt8(ports.1 & 0xFF)]
    f += [UInt8](repeating: fill, count: 40)
    return f
  }

  static func key(_ frame: [UInt8]) -> UInt32 {
    frame.withUnsafeBytes { FrameFlow.key(of: $0) }
  }

  @Test("the frames of one TCP connection share a key, whatever they carry")
  func oneConnectionOneKey() {
    #expect(Self.key(Self.ipv4(fill: 1)) == Self.key(Self.ipv4(payload: 1400, fill: 9)))
  }

  @Test("other ports, addresses or protocol: another key")
  func connectionsDiffer() {
    let base = Self.key(Self.ipv4())
    #expect(Self.key(Self.ipv4(ports: (40001, 5201))) != base)
    #expect(Self.key(Self.ipv4(dst: 3)) != base)
    #expect(Self.key(Self.ipv4(proto: 17)) != base)
  }

  @Test("every fragment of a datagram has the key of its first, whatever the payload holds")
  func fragmentsShareAKey() {
    let first = Self.key(Self.ipv4(proto: 17, fragment: 0x2000))
    let later = Self.key(Self.ipv4(proto: 17, ports: (1, 2), fragment: 0x00B9))
    #expect(first == later)
  }

  @Test("IPv6: ports count for UDP and TCP, and the addresses")
  func ipv6Flows() {
    #expect(Self.key(Self.ipv6(fill: 1)) == Self.key(Self.ipv6(fill: 2)))
    #expect(Self.key(Self.ipv6(ports: (54, 40000))) != Self.key(Self.ipv6()))
    #expect(Self.key(Self.ipv6(next: 58, ports: (1, 1))) == Self.key(Self.ipv6(next: 58)))
  }

  @Test("a VLAN tag is looked through, its VLAN ID kept apart")
  func vlanTagged() {
    let plain = Self.ipv4()
    func tagged(_ vid: UInt8) -> [UInt8] {
      Array(plain[0..<12]) + [0x81, 0x00, 0, vid] + Array(plain[12...])
    }
    #expect(Self.key(tagged(5)) == Self.key(tagged(5)))
    #expect(Self.key(tagged(5)) != Self.key(tagged(6)))
  }

  @Test("non-IP frames: by MACs and ether type; short and truncated frames still get a key")
  func anythingGetsAKey() {
    let arp = Self.macs + [0x08, 0x06] + [UInt8](repeating: 0, count: 28)
    var other = arp
    other[13] = 0x07
    #expect(Self.key(arp) != Self.key(other))
    for length in 0..<60 {
      _ = Self.key(Array(Self.ipv4().prefix(length)))
      _ = Self.key(Array(Self.ipv6().prefix(length)))
    }
    let badIHL = Self.ipv4().enumerated().map { $0.offset == 14 ? UInt8(0x4F) : $0.element }
    _ = Self.key(badIHL)
  }
}
