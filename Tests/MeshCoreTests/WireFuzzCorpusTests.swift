import Foundation
import MeshCore
import Testing

/// Valid examples of every message: the seed corpus of `Fuzz/FuzzDatagram`.
///
/// The test checks that each seed parses. With `MESHD_WRITE_FUZZ_CORPUS=DIR` in the
/// environment it also writes them to DIR (regenerate with
/// `MESHD_WRITE_FUZZ_CORPUS=Fuzz/FuzzDatagram/corpus swift test --filter WireFuzzCorpus`).
@Suite struct WireFuzzCorpusTests {
  static func seeds() throws -> [(String, [UInt8])] {
    let payload = try HandshakePayload(
      timestamp: 1_700_000_000_000_000_000, nickname: "node-a",
      endpoints: [
        Endpoint(address: .v4(0xC000_0201), port: 6786),
        Endpoint(address: .v6(0x2001_0DB8_0000_0000, 1), port: 6786),
      ]
    ).encode()
    let noise = [UInt8](repeating: 0x5A, count: 80) + payload + [UInt8](repeating: 0x7E, count: 16)
    var seeds: [(String, [UInt8])] = [
      ("payload", payload),
      ("initiation", try HandshakeInitiation(senderIndex: 0x0102_0304, noise: noise).encode()),
      (
        "response",
        try HandshakeResponse(senderIndex: 5, receiverIndex: 0x0102_0304, noise: noise).encode()
      ),
      (
        "cookie",
        try CookieReply(
          receiverIndex: 5, nonce: [UInt8](repeating: 1, count: 24),
          encryptedCookie: [UInt8](repeating: 2, count: 32)
        ).encode()
      ),
    ]
    let frame: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1]
    var relay: [UInt8] = [2] + [UInt8](repeating: 0, count: 17)
    relay[1] = 9
    relay[17] = 4
    let inner: [(String, [UInt8])] = [
      ("keepalive", [0]), ("frame", [1] + frame), ("relayed", relay + frame),
      ("gossip", [3] + Array("topology".utf8)), ("probe", [4, 1, 0, 0, 0, 1, 0, 0, 0]),
      // The second and last piece of a 300-byte message cut at 256 bytes.
      ("piece", [7, 1, 0, 0, 0, 0x2C, 0x01, 0x00, 0x01, 1] + [UInt8](repeating: 0x33, count: 44)),
    ]
    for (name, plaintext) in inner {
      seeds.append(("inner-" + name, plaintext))
      var d = [UInt8](repeating: 0, count: 16)
      d.withUnsafeMutableBytes {
        _ = try? TransportHeader.write(receiverIndex: 7, counter: 42, into: $0)
      }
      seeds.append(("transport-" + name, d + plaintext + [UInt8](repeating: 0xAB, count: 16)))
    }
    // A forwarded datagram around the transport frame, and the same carried in a session.
    let transportFrame = seeds.first { $0.0 == "transport-frame" }!.1
    var forwarded = [UInt8](repeating: 0, count: ForwardHeader.size) + transportFrame
    forwarded.withUnsafeMutableBytes {
      ForwardHeader(
        receiverIndex: 7, counter: 43, destination: PeerID(rawValue: 9), hopLimit: 16,
        innerLength: transportFrame.count
      ).write(into: $0)
    }
    seeds.append(("forwarded", forwarded))
    seeds.append(("inner-forwarded", [InnerKind.forwardedDatagram.rawValue] + forwarded))
    seeds.append(("http-get", Array("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
    let body = #"{"endpoint":"192.0.2.1:6786","n":[1,2.5,true,null]}"#
    seeds.append(
      (
        "http-post",
        Array(
          "POST /v1/connect?endpoint=a%3A1 HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            .utf8)
      ))
    seeds.append(("json", Array(body.utf8)))
    return seeds
  }

  @Test func seedsParseAndOptionallyWrite() throws {
    let seeds = try Self.seeds()
    for (name, bytes) in seeds {
      if name.hasPrefix("inner-") { _ = try InnerMessage.parse(bytes) }
      if name == "forwarded" { _ = try bytes.withUnsafeBytes { try ForwardHeader.parse($0) } }
      if name.hasPrefix("transport-") {
        let h = try bytes.withUnsafeBytes { try TransportHeader.parse($0) }
        _ = try InnerMessage.parse(Array(bytes[h.ciphertextRange].dropLast(16)))
      }
    }
    #expect(try HandshakeInitiation.decode(seeds[1].1).noise.count == 80 + seeds[0].1.count + 16)
    guard let dir = ProcessInfo.processInfo.environment["MESHD_WRITE_FUZZ_CORPUS"] else { return }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, bytes) in seeds {
      try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent("seed-" + name))
    }
  }
}
