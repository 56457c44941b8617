import Foundation
import Logging
import MeshAPI
import Testing

@testable import MeshCore
@testable import MeshIO

/// The real server (sockets, thread, poller) in a namespace of its own, answering from a
/// filled `NameDirectory`: A, SRV and PTR over UDP and TCP, truncation, a directory change
/// seen at the next query, and SERVFAIL without upstreams.
@Suite(.enabled(if: ioCanCreateTap, "needs root"))
struct DNSServerRuntimeTests {
  static let bridge = "mshdnsbr0"
  static let server = Endpoint("10.99.0.1:53")!
  static let host = PeerID(rawValue: 9)

  /// Sends `query` over UDP and waits up to 2 s for the answer.
  static func ask(_ query: DNSMessage) throws -> DNSMessage? {
    var options = UDPSocket.Options()
    options.nonBlocking = true
    options.exclusiveBind = false
    options.bufferBytes = 0
    let socket = try UDPSocket(
      bindingTo: Endpoint(address: .v4(DNSFixture.ip(10, 99, 0, 1)), port: 0), options: options)
    let bytes = query.serialized()
    try bytes.withUnsafeBytes { try socket.send($0, to: server) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    for _ in 0..<200 {
      if let (n, _) = try buffer.withUnsafeMutableBytes({ try socket.receive(into: $0) }) {
        return try DNSMessage(parsing: Array(buffer[0..<n]))
      }
      usleep(10_000)
    }
    return nil
  }

  /// Sends `query` over TCP and reads the answer.
  static func askTCP(_ query: DNSMessage) throws -> DNSMessage {
    let stream = try TCPStream.connect(to: server, timeoutSeconds: 2)
    let bytes = query.serialized()
    try stream.writeAll([UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes)
    let prefix = try stream.readExactly(2)
    return try DNSMessage(parsing: stream.readExactly(Int(prefix[0]) << 8 | Int(prefix[1])))
  }

  static func addresses(_ m: DNSMessage?) -> Set<UInt32> {
    Set(
      (m?.answers ?? []).compactMap {
        if case .a(let a) = $0.data { return a }
        return nil
      })
  }

  @Test func answersFromTheDirectoryOverUDPAndTCP() throws {
    try withNetworkNamespace { name in
      try ioRunIP(["-n", name, "link", "set", "lo", "up"])
      try ioRunIP(["-n", name, "link", "add", Self.bridge, "type", "bridge"])
      try ioRunIP(["-n", name, "addr", "add", "10.99.0.1/24", "dev", Self.bridge])
      try ioRunIP(["-n", name, "link", "set", Self.bridge, "up"])
      let names = NameDirectory()
      let web = DNSFixture.ip(10, 99, 0, 2)
      names.replace(with: [
        NameEntry(name: "web", kind: .container, address: web, ports: [80], host: Self.host),
        NameEntry(name: "web", kind: .service, address: web, ports: [80], host: Self.host),
      ])
      var config = DNSServerConfiguration(
        bridge: Self.bridge, domain: DNSName("mesh.internal")!, logger: Logger(label: "dns-test"))
      config.upstreams = []
      let server = DNSServer(configuration: config, names: names)
      try server.start()
      defer { server.stop() }
      var bound = false
      for _ in 0..<100 where !bound {
        bound = server.status().address == "10.99.0.1"
        if !bound { usleep(50_000) }
      }
      #expect(bound, "bound to the bridge address")

      let a = try Self.ask(DNSFixture.query("WEB.mesh.internal"))
      #expect(Self.addresses(a) == [web])
      let srv = try Self.ask(DNSFixture.query("_web._tcp.mesh.internal", .srv))
      #expect(
        srv?.answers.first?.data
          == .srv(priority: 0, weight: 0, port: 80, target: DNSName("web.mesh.internal")!))
      let ptr = try Self.ask(DNSFixture.query("2.0.99.10.in-addr.arpa", .ptr))
      #expect(ptr?.answers.first?.data == .name(DNSName("web.mesh.internal")!))
      let tcp = try Self.askTCP(DNSFixture.query("web.mesh.internal"))
      #expect(Self.addresses(tcp) == [web])
      // No upstream: an outside name fails at once.
      let outside = try Self.ask(DNSFixture.query("example.org"))
      #expect(outside?.responseCode == DNSResponseCode.serverFailure.rawValue)

      // A change of the directory is seen by the next query; a big service truncates over
      // UDP and comes whole over TCP.
      names.replace(
        with: (1...100).map {
          NameEntry(
            name: "web", kind: .service, address: DNSFixture.ip(10, 99, 1, UInt32($0)),
            host: Self.host)
        })
      let udp = try #require(try Self.ask(DNSFixture.query("web.mesh.internal")))
      #expect(udp.isTruncated && udp.answers.count < 100)
      #expect(!Self.addresses(udp).contains(web))
      let whole = try Self.askTCP(DNSFixture.query("web.mesh.internal"))
      #expect(!whole.isTruncated && whole.answers.count == 100)
      let ptrGone = try Self.ask(DNSFixture.query("2.0.99.10.in-addr.arpa", .ptr))
      #expect(ptrGone?.responseCode == DNSResponseCode.serverFailure.rawValue)

      let status = server.status()
      #expect(status.queries == 8 && status.answered == 6 && status.upstreamFailures == 2)

      // The bridge made again with the same address (a new interface): served again.
      try ioRunIP(["-n", name, "link", "del", Self.bridge])
      try ioRunIP(["-n", name, "link", "add", Self.bridge, "type", "bridge"])
      try ioRunIP(["-n", name, "addr", "add", "10.99.0.1/24", "dev", Self.bridge])
      try ioRunIP(["-n", name, "link", "set", Self.bridge, "up"])
      var again: DNSMessage?
      for _ in 0..<10 where again == nil {
        again = try Self.ask(DNSFixture.query("nothing.mesh.internal"))
      }
      #expect(again?.responseCode == DNSResponseCode.nameError.rawValue, "answered again")
    }
  }
}
