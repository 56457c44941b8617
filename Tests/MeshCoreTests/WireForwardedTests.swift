import MeshCore
import Testing

/// Forwarded datagrams (type 5) and forwarded datagrams carried in a hop's session (inner kind
/// 13): their bounds and fields.
@Suite("Wire: forwarded datagrams")
struct WireForwardedTests {
  /// A forwarded datagram around an inner datagram of `inner` bytes.
  func datagram(inner: Int = WireLimits.minTransport, hopLimit: UInt8 = 16) -> [UInt8] {
    var bytes = [UInt8](repeating: 0xAB, count: ForwardHeader.size + inner)
    bytes.withUnsafeMutableBytes {
      ForwardHeader(
        receiverIndex: 0x0102_0304, counter: 9, destination: PeerID(rawValue: 0xFEED),
        hopLimit: hopLimit, innerLength: inner
      ).write(into: $0)
    }
    return bytes
  }

  func parse(_ bytes: [UInt8]) throws(WireError) -> ForwardHeader {
    let r: Result<ForwardHeader, WireError> = bytes.withUnsafeBytes { raw in
      Result { () throws(WireError) in try ForwardHeader.parse(raw) }
    }
    return try r.get()
  }

  @Test func headerRoundTripsAndBoundsHold() throws {
    let h = try parse(datagram())
    #expect(h.receiverIndex == 0x0102_0304 && h.counter == 9 && h.hopLimit == 16)
    #expect(h.destination == PeerID(rawValue: 0xFEED))
    #expect(h.innerRange == ForwardHeader.size..<(ForwardHeader.size + WireLimits.minTransport))
    #expect(ForwardHeader.minDatagram == 77)
    #expect(wireError { _ = try parse(Array(datagram().dropLast())) } == .truncated)
    let largest = datagram(inner: ForwardHeader.maxDatagram - ForwardHeader.size)
    #expect(try parse(largest).innerLength == WireLimits.maxDatagram - 44)
    #expect(wireError { _ = try parse(largest + [0]) } == .oversized)
    #expect(wireError { _ = try parse(datagram(hopLimit: 0)) } == .malformed)
    var reserved = datagram()
    reserved[26] = 1
    #expect(wireError { _ = try parse(reserved) } == .badReserved)
    var other = datagram()
    other[0] = 4
    #expect(wireError { _ = try parse(other) } == .unexpectedType(4))
  }

  @Test func theHopTagCoversTheHeaderAndTheInnerDatagramsEnds() {
    var bytes = datagram(inner: 100)
    for i in 0..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i) }
    let ad = bytes.withUnsafeBytes { raw in
      ForwardHeader.withAuthenticatedData(of: raw) { Array($0) }
    }
    #expect(ad.count == ForwardHeader.authenticatedLength)
    #expect(Array(ad[0..<28]) == Array(bytes[0..<28]))
    #expect(Array(ad[28..<44]) == Array(bytes[44..<60]))
    #expect(Array(ad[44..<60]) == Array(bytes[(bytes.count - 16)...]))
  }

  @Test func innerKind13CarriesAWholeForwardedDatagram() throws {
    let carried = [InnerKind.forwardedDatagram.rawValue] + datagram()
    #expect(try InnerMessage.parse(carried) == .forwardedDatagram(1..<carried.count))
    #expect(wireError { _ = try InnerMessage.parse(Array(carried.dropLast())) } == .truncated)
    var wrongType = carried
    wrongType[1] = 4
    #expect(wireError { _ = try InnerMessage.parse(wrongType) } == .malformed)
    let tooLarge =
      [InnerKind.forwardedDatagram.rawValue]
      + datagram(inner: ForwardHeader.maxInSession + 1 - ForwardHeader.size)
    #expect(wireError { _ = try InnerMessage.parse(tooLarge) } == .oversized)
  }
}
