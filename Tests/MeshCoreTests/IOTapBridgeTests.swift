import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO
@testable import MeshProtocol
@testable import MeshTypes

@Suite(.enabled(if: ioCanCreateTap, "needs root and /dev/net/tun"))
struct IOTapBridgeTests {
  let tapMAC = MACAddress(rawValue: 0x0247_0000_0001)
  let bridgeMAC = MACAddress(rawValue: 0x0247_0000_00B0)

  @Test func bridgeTapConfiguration() throws {
    try withNetworkNamespace { ns in
      let nl = try RouteNetlink()
      let bridgeIndex = try nl.ensureBridge(name: "mshbr0")
      #expect(try nl.ensureBridge(name: "mshbr0") == bridgeIndex)
      #expect(throws: SystemError.self) { try nl.createBridge(name: "mshbr0") }

      let tap = try TapDevice(name: "mshtap0")
      #expect(tap.name == "mshtap0")
      #expect(tap.fd >= 0)
      try nl.setMTU(link: "mshtap0", mtu: 1400)
      try nl.setMACAddress(link: "mshtap0", tapMAC)
      try nl.setMACAddress(link: "mshbr0", bridgeMAC)
      try nl.setMaster(link: "mshtap0", master: "mshbr0")
      let address = IPv4Network("10.47.0.1/16")!
      #expect(try nl.addIPv4Address(link: "mshbr0", address))
      #expect(try nl.addIPv4Address(link: "mshbr0", address) == false)
      try nl.setUp(link: "mshtap0")
      try nl.setUp(link: "mshbr0")

      let tapInfo = try #require(try nl.linkInfo(name: "mshtap0"))
      #expect(tapInfo.index == (try nl.linkIndex(name: "mshtap0")))
      #expect(tapInfo.name == "mshtap0")
      #expect(tapInfo.mtu == 1400)
      #expect(tapInfo.mac == tapMAC)
      #expect(tapInfo.isUp)
      #expect(tapInfo.masterIndex == bridgeIndex)
      #expect(tapInfo.kind == "tun")
      let bridgeInfo = try #require(try nl.linkInfo(name: "mshbr0"))
      #expect(bridgeInfo.kind == "bridge")
      #expect(bridgeInfo.mac == bridgeMAC)
      #expect(bridgeInfo.isUp)
      #expect(bridgeInfo.masterIndex == nil)
      #expect(try nl.ipv4Addresses(link: "mshbr0") == [address])
      #expect(try nl.ipv4Addresses(link: "mshtap0") == [])

      // Cross-check with iproute2.
      let shown = try ioRunIP(["-n", ns, "-d", "link", "show", "mshtap0"])
      #expect(shown.contains("mtu 1400"))
      #expect(shown.contains("master mshbr0"))
      #expect(shown.contains("link/ether \(tapMAC)"))
      #expect(shown.contains("tun type tap"))
      let addresses = try ioRunIP(["-n", ns, "-4", "addr", "show", "dev", "mshbr0"])
      #expect(addresses.contains("inet 10.47.0.1/16"))

      // Release, bring down, close: the non-persistent TAP disappears with its descriptor.
      try nl.setMaster(link: "mshtap0", master: nil)
      #expect(try nl.linkInfo(name: "mshtap0")?.masterIndex == nil)
      try nl.setDown(link: "mshtap0")
      #expect(try nl.linkInfo(name: "mshtap0")?.isUp == false)
      tap.close()
      #expect(try nl.linkIndex(name: "mshtap0") == nil)
      #expect(try nl.deleteLink(name: "mshbr0"))
      #expect(try nl.deleteLink(name: "mshbr0") == false)
      #expect(try nl.linkInfo(name: "mshbr0") == nil)
    }
  }

  @Test func ensureBridgeRefusesOtherKinds() throws {
    try withNetworkNamespace { _ in
      let nl = try RouteNetlink()
      let tap = try TapDevice(name: "mshtap9")
      #expect(throws: SystemError.self) { try nl.ensureBridge(name: "mshtap9") }
      #expect(throws: SystemError.self) { try nl.setMTU(link: "mshnone", mtu: 1400) }
      #expect(throws: InterfaceNameError.self) { try TapDevice(name: "way-too-long-name0") }
      tap.close()
    }
  }

  @Test func framesCrossTheBridge() throws {
    try withNetworkNamespace { _ in
      let nl = try RouteNetlink()
      try nl.ensureBridge(name: "mshbr0")
      try nl.addIPv4Address(link: "mshbr0", IPv4Network("192.0.2.1/24")!)
      let tap0 = try TapDevice(name: "mshtap0", nonBlocking: true)
      let tap1 = try TapDevice(name: "mshtap1", nonBlocking: true)
      for name in ["mshtap0", "mshtap1"] {
        try nl.setMaster(link: name, master: "mshbr0")
        try nl.setUp(link: name)
      }
      try nl.setUp(link: "mshbr0")

      // A broadcast frame with a local-experimental EtherType goes from one port to the other.
      let sender = MACAddress(rawValue: 0x0247_0000_000A)
      var frame = MACAddress.broadcast.octets + sender.octets + [0x88, 0xB5]
      frame += Array("meshd-io-test".utf8) + [UInt8](repeating: 0, count: 33)
      try frame.withUnsafeBytes { try tap0.write($0) }
      let received = try readFrame(from: tap1) {
        $0.count >= 14 && $0[12] == 0x88 && $0[13] == 0xB5
      }
      #expect(received == frame)

      // An ARP request for the bridge's address is answered by the bridge's own stack.
      var arp = MACAddress.broadcast.octets + sender.octets + [0x08, 0x06]
      arp += [0, 1, 8, 0, 6, 4, 0, 1] + sender.octets + [192, 0, 2, 10]
      arp += [0, 0, 0, 0, 0, 0] + [192, 0, 2, 1] + [UInt8](repeating: 0, count: 18)
      try arp.withUnsafeBytes { try tap0.write($0) }
      let reply = try readFrame(from: tap0) {
        $0.count >= 42 && $0[12] == 0x08 && $0[13] == 0x06 && $0[21] == 2
      }
      #expect(Array(reply[0..<6]) == sender.octets)
      #expect(Array(reply[28..<32]) == [192, 0, 2, 1])
      #expect(Array(reply[38..<42]) == [192, 0, 2, 10])

      // A TAP that is down refuses writes with EIO, reported as linkDown.
      try nl.setDown(link: "mshtap1")
      #expect(throws: TapError.linkDown) { try frame.withUnsafeBytes { try tap1.write($0) } }
      // Frames queued before it went down can still be read; then a non-blocking read is nil.
      var scratch = [UInt8](repeating: 0, count: 65536)
      var drained = false
      for _ in 0..<1000 where !drained {
        drained = try scratch.withUnsafeMutableBytes { try tap1.read(into: $0) } == nil
      }
      #expect(drained)
    }
  }

  @Test func mergedUDPFramesReachASocket() throws {
    try withNetworkNamespace { _ in
      let nl = try RouteNetlink()
      try nl.ensureBridge(name: "mshbr0")
      try nl.addIPv4Address(link: "mshbr0", IPv4Network("192.0.2.1/24")!)
      let tap = try TapDevice(name: "mshtap0", nonBlocking: true, virtioHeader: true)
      try tap.enableOffloads(segmentation: true)
      #expect(tap.probeUDPSegmentation(), "this kernel takes USO frames on a TAP")
      try nl.setMaster(link: "mshtap0", master: "mshbr0")
      try nl.setUp(link: "mshtap0")
      try nl.setUp(link: "mshbr0")
      var options = UDPSocket.Options()
      options.nonBlocking = true
      let socket = try UDPSocket(
        bindingTo: Endpoint("192.0.2.1:5400")!, options: options)
      // The bridge's own MAC, so that the frames are for its stack.
      let destination = MACAddress(rawValue: 0x0247_0000_0001)
      try nl.setMACAddress(link: "mshbr0", destination)

      // Five datagrams of one flow, the last shorter: merged into one write.
      let coalescer = UDPCoalescer()
      let payloads = (0..<5).map { i in
        [UInt8](repeating: UInt8(0x30 + i), count: i == 4 ? 20 : 100)
      }
      for p in payloads {
        let frame = UDPFrame.make(
          dst: destination.octets, src: [2, 0x47, 0, 0, 0, 0x0A], from: [192, 0, 2, 10],
          to: [192, 0, 2, 1], sourcePort: 7000, destinationPort: 5400, payload: p)
        #expect(frame.withUnsafeBytes { coalescer.append($0) })
      }
      try tap.write(coalescer.finish())

      var received: [[UInt8]] = []
      var buffer = [UInt8](repeating: 0, count: 2048)
      for _ in 0..<200 where received.count < 5 {
        if let got = try buffer.withUnsafeMutableBytes({ try socket.receive(into: $0) }) {
          received.append(Array(buffer[0..<got.length]))
          #expect(got.from == Endpoint("192.0.2.10:7000")!)
        } else {
          usleep(5000)
        }
      }
      #expect(received == payloads)
    }
  }

  /// Waits with a ``Poller`` for a frame on `tap` that `matches`, skipping others (IPv6
  /// router solicitations and the like); fails after five seconds.
  private func readFrame(from tap: TapDevice, matching matches: ([UInt8]) -> Bool) throws
    -> [UInt8]
  {
    let poller = try Poller(capacity: 4)
    try poller.add(fd: tap.fd, token: 1)
    var events = [ReadyEvent](repeating: ReadyEvent(), count: 4)
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
      _ = try poller.wait(timeoutMilliseconds: 200, into: &events)
      while let n = try buffer.withUnsafeMutableBytes({ try tap.read(into: $0) }) {
        let frame = Array(buffer[0..<n])
        if matches(frame) { return frame }
      }
    }
    throw SystemError(call: "read(tap)", errno: ETIMEDOUT)
  }
}
