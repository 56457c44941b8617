import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO
@testable import MeshTypes

@Suite struct IOEndpointConversionTests {
  @Test(arguments: ["192.0.2.7:6786", "[2001:db8::1]:443", "[::1]:1", "10.47.0.255:65535"])
  func roundTrip(text: String) throws {
    let endpoint = try #require(Endpoint(text))
    var storage = sockaddr_storage()
    let length = endpoint.write(to: &storage)
    #expect(Int(length) == (endpoint.isIPv6 ? 28 : 16))
    #expect(Endpoint(reading: &storage, length: length) == endpoint)
  }

  @Test func mappedIPv4() throws {
    let endpoint = try #require(Endpoint("198.51.100.3:9"))
    var storage = sockaddr_storage()
    let length = endpoint.write(to: &storage, asIPv6: true)
    #expect(Int(length) == 28)
    #expect(Int32(storage.ss_family) == AF_INET6)
    #expect(Endpoint(reading: &storage, length: length) == endpoint)
    #expect(Endpoint(reading: &storage, length: 8) == nil)
  }
}

@Suite(.enabled(if: ioCanCreateTap, "needs root for a network namespace"))
struct IOUDPSocketTests {
  @Test(arguments: ["127.0.0.1", "[::1]"])
  func roundTrip(bind: String) throws {
    try withNetworkNamespace { _ in
      try RouteNetlink().setUp(link: "lo")
      let a = try UDPSocket(bindingTo: Endpoint(bind, defaultPort: 0)!)
      let b = try UDPSocket(bindingTo: Endpoint(bind, defaultPort: 0)!)
      #expect(a.localEndpoint.port != 0)
      #expect(a.localEndpoint.isIPv6 == bind.hasPrefix("["))
      #expect(try a.receiveBufferSize() >= 4 << 20)
      let payload: [UInt8] = Array("hello over the underlay".utf8)
      try payload.withUnsafeBytes { try a.send($0, to: b.localEndpoint) }
      var buffer = [UInt8](repeating: 0, count: 2048)
      let got = try #require(try buffer.withUnsafeMutableBytes { try b.receive(into: $0) })
      #expect(got.from == a.localEndpoint)
      #expect(Array(buffer[0..<got.length]) == payload)

      try b.setNonBlocking(true)
      #expect(try buffer.withUnsafeMutableBytes { try b.receive(into: $0) } == nil)
    }
  }

  @Test func dualStackReportsIPv4Senders() throws {
    try withNetworkNamespace { _ in
      try RouteNetlink().setUp(link: "lo")
      let v6 = try UDPSocket(bindingTo: Endpoint("::", defaultPort: 0)!)
      let v4 = try UDPSocket(bindingTo: Endpoint("127.0.0.1", defaultPort: 0)!)
      let target = Endpoint(address: .v4(0x7F00_0001), port: v6.localEndpoint.port)
      try ([1, 2, 3] as [UInt8]).withUnsafeBytes { try v4.send($0, to: target) }
      var buffer = [UInt8](repeating: 0, count: 64)
      let got = try #require(try buffer.withUnsafeMutableBytes { try v6.receive(into: $0) })
      #expect(got.from == v4.localEndpoint)
      // And back, from the IPv6 socket to an IPv4 endpoint.
      try ([4] as [UInt8]).withUnsafeBytes { try v6.send($0, to: got.from) }
      let back = try #require(try buffer.withUnsafeMutableBytes { try v4.receive(into: $0) })
      #expect(back.length == 1 && buffer[0] == 4)
    }
  }

  @Test func largeDatagramIsFragmentedNotRefused() throws {
    try withNetworkNamespace { _ in
      let nl = try RouteNetlink()
      try nl.setUp(link: "lo")
      try nl.setMTU(link: "lo", mtu: 1280)
      let a = try UDPSocket(bindingTo: Endpoint("127.0.0.1", defaultPort: 0)!)
      let b = try UDPSocket(bindingTo: Endpoint("127.0.0.1", defaultPort: 0)!)
      let payload = [UInt8](repeating: 0xAB, count: 4000)
      try payload.withUnsafeBytes { try a.send($0, to: b.localEndpoint) }
      var buffer = [UInt8](repeating: 0, count: 8192)
      let got = try #require(try buffer.withUnsafeMutableBytes { try b.receive(into: $0) })
      #expect(got.length == 4000)
    }
  }

  @Test func batchRoundTrip() throws {
    try withLoopbackPair { a, b in
      let out = UDPMessageBatch(capacity: 8)
      for i in 0..<5 {
        let buffer = out.buffer(at: i)
        for j in 0..<(100 + i) { buffer[j] = UInt8(truncatingIfNeeded: i &+ j) }
        out.setOutgoing(at: i, length: 100 + i, to: b.localEndpoint)
      }
      #expect(try a.sendBatch(out, count: 5) == 5)
      let incoming = UDPMessageBatch(capacity: 8)
      var received = 0
      for _ in 0..<100 where received < 5 {
        received += try b.receiveBatch(into: incoming) ?? 0
        if received < 5 { usleep(1000) }
      }
      #expect(received == 5)
      #expect(incoming.length(at: 0) == 100)
      #expect(incoming.endpoint(at: 0) == a.localEndpoint)
      #expect(incoming.datagram(at: 0)[99] == 99)
      #expect(try b.receiveBatch(into: incoming) == nil)
    }
  }

  @Test func sendQueueSendsInPlaceInOrder() throws {
    try withLoopbackPair { a, b in
      let queue = UDPSendQueue(capacity: 4)
      let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * 64, alignment: 16)
      defer { storage.deallocate() }
      for i in 0..<4 {
        let datagram = UnsafeMutableRawBufferPointer(
          rebasing: storage[(i * 64)..<(i * 64 + 10 + i)])
        datagram.initializeMemory(as: UInt8.self, repeating: UInt8(i))
        queue.append(UnsafeRawBufferPointer(datagram), to: b.localEndpoint)
      }
      #expect(queue.isFull)
      #expect(queue.flush(on: a) == 0)
      #expect(queue.count == 0)
      let datagrams = try receive(4, on: b).datagrams
      #expect(datagrams.map(\.count) == [10, 11, 12, 13])
      #expect(datagrams.map { $0[0] } == [0, 1, 2, 3])
    }
  }

  @Test func sendQueueSkipsARefusedDatagram() throws {
    try withLoopbackPair { a, b in
      let queue = UDPSendQueue(capacity: 3)
      var bytes: [UInt8] = [7, 7, 7]
      try bytes.withUnsafeMutableBytes { raw in
        let datagram = UnsafeRawBufferPointer(raw)
        queue.append(datagram, to: b.localEndpoint)
        // No route to this address in a namespace with only loopback: the kernel refuses it.
        queue.append(datagram, to: try #require(Endpoint("192.0.2.1:9")))
        queue.append(datagram, to: b.localEndpoint)
        #expect(queue.flush(on: a) == 1)
      }
      #expect(try receive(2, on: b).datagrams.count == 2)
    }
  }

  @Test func segmentedSendsArriveAsOneCoalescedReceive() throws {
    try withLoopbackPair { a, b in
      #expect(a.probeSegmentationOffload())
      #expect(b.enableReceiveOffload())
      let queue = UDPSendQueue(capacity: 8)
      queue.segmentation = true
      let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 * 128, alignment: 16)
      defer { storage.deallocate() }
      // Five of 100 bytes and a last of 40 make one run; then one to nobody else's size.
      let sizes = [100, 100, 100, 100, 100, 40, 100]
      for (i, size) in sizes.enumerated() {
        let d = UnsafeMutableRawBufferPointer(rebasing: storage[(i * 128)..<(i * 128 + size)])
        d.initializeMemory(as: UInt8.self, repeating: UInt8(i))
        queue.append(UnsafeRawBufferPointer(d), to: b.localEndpoint)
      }
      #expect(queue.flush(on: a) == 0)
      #expect(queue.segmentation, "the kernel took the segmented message")
      let (datagrams, sawCoalesced) = try receive(sizes.count, on: b)
      #expect(datagrams.map(\.count) == sizes)
      #expect(datagrams.map { $0.first } == (0..<sizes.count).map { UInt8($0) })
      #expect(sawCoalesced, "UDP_GRO handed over a coalesced buffer")
    }
  }

  /// Runs `body` in a new namespace with loopback up, with a blocking sender `a` and a
  /// non-blocking receiver `b`, both on 127.0.0.1.
  private func withLoopbackPair(_ body: (UDPSocket, UDPSocket) throws -> Void) throws {
    try withNetworkNamespace { _ in
      try RouteNetlink().setUp(link: "lo")
      let a = try UDPSocket(bindingTo: Endpoint("127.0.0.1", defaultPort: 0)!)
      var options = UDPSocket.Options()
      options.nonBlocking = true
      let b = try UDPSocket(bindingTo: Endpoint("127.0.0.1", defaultPort: 0)!, options: options)
      try body(a, b)
    }
  }

  /// Receives with `receiveBatch` until `count` datagrams arrived (or 100 ms passed), splitting
  /// buffers that UDP_GRO coalesced; also says whether any buffer was coalesced.
  private func receive(_ count: Int, on socket: UDPSocket) throws
    -> (datagrams: [[UInt8]], sawCoalesced: Bool)
  {
    let incoming = UDPMessageBatch(capacity: 8)
    var datagrams: [[UInt8]] = []
    var sawCoalesced = false
    for _ in 0..<100 where datagrams.count < count {
      let n = try socket.receiveBatch(into: incoming) ?? 0
      for i in 0..<n {
        let bytes = Array(incoming.datagram(at: i))
        let step = incoming.segmentSize(at: i)
        if step > 0 { sawCoalesced = true }
        var start = 0
        while start < bytes.count {
          let end = step > 0 ? min(start + step, bytes.count) : bytes.count
          datagrams.append(Array(bytes[start..<end]))
          start = end
        }
      }
      if datagrams.count < count { usleep(1000) }
    }
    return (datagrams, sawCoalesced)
  }
}
