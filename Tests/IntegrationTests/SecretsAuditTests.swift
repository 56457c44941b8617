import Foundation
import Testing

extension MeshIntegration {
  /// Secrets stay out of logs, the control socket gets the group it was given, and hostile
  /// control requests are refused with 4xx/5xx without hurting the daemon.
  @Suite("Secrets and control socket audit")
  struct SecretsAuditTests {
    @Test("trace logs through handshakes and rekeys never contain the secret or the key")
    func noSecretsInLogs() async throws {
      let net = try TestNetwork(hostCount: 2)
      defer { net.shutdown() }
      let (a, b) = (net.host(1), net.host(2))
      let secretFile = try net.makeSecretFile()
      let flags = ["--log-level", "trace", "--debug-rekey-after-seconds", "2"]
      let da = try net.startMeshd(on: a, peers: [b], secret: secretFile, extraArguments: flags)
      let db = try net.startMeshd(on: b, secret: secretFile, extraArguments: flags)
      try await net.requirePing(from: a, to: b.overlayIP)
      let bID = try net.status(b).peerID
      let rekeyed = await waitUntil(timeout: 15) {
        ((try? net.status(a))?.peer(id: bID)?.handshakesCompleted ?? 0) >= 3
      }
      #expect(rekeyed, "fewer than 3 handshakes\n\(net.diagnostics())")

      let secret = SecretFiles.read(secretFile).trimmingCharacters(in: .whitespacesAndNewlines)
      var needles = [secret, Self.hex(secret)]
      for d in [da, db] {
        let key = SecretFiles.read(d.stateDirectory.appendingPathComponent("private.key"))
          .trimmingCharacters(in: .whitespacesAndNewlines)
        needles += [key, Self.hex(key)]
      }
      for d in [da, db] {
        let log = d.process.log()
        #expect(log.contains("trace") || log.count > 1000, "no trace output in \(d.host)'s log")
        for needle in needles where !needle.isEmpty {
          #expect(!log.contains(needle), "\(d.host)'s log contains key material")
        }
      }
    }

    @Test("socket group and mode; oversized and malformed requests get 4xx/5xx")
    func controlSocketHardening() async throws {
      let net = try TestNetwork(hostCount: 1)
      defer { net.shutdown() }
      let host = net.host(1)
      let secret = try net.makeSecretFile()
      // A group that exists (meshd refuses one that does not), given by number.
      let group = try #require(getgrnam("daemon")?.pointee.gr_gid, "the daemon group exists")
      let daemon = try net.startMeshd(
        on: host, secret: secret, extraArguments: ["--socket-group", "\(group)"])
      let up = await waitUntil(timeout: 10) { (try? daemon.status()) != nil }
      try #require(up, "daemon did not come up\n\(daemon.diagnostics())")

      var st = stat()
      try #require(stat(daemon.socket.path, &st) == 0)
      #expect(st.st_gid == group, "socket group \(st.st_gid)")
      #expect(st.st_mode & 0o777 == 0o660, "socket mode \(String(st.st_mode & 0o777, radix: 8))")

      let cases: [(String, String, ClosedRange<Int>)] = [
        (
          "1 MB header", #"b"GET /v1/status HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n""#,
          400...499
        ),
        ("1 MB request line", #"b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n""#, 400...499),
        ("bad request line", #"b"\x00\xff garbage\r\n\r\n""#, 400...499),
        ("unknown method", #"b"BREW /v1/status HTTP/1.1\r\n\r\n""#, 400...501),
        (
          "chunked body",
          #"b"POST /v1/connect HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n""#,
          400...501
        ),
        (
          "huge Content-Length",
          #"b"POST /v1/connect HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n""#,
          400...499
        ),
        (
          "bad JSON body", #"b"POST /v1/connect HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\":""#,
          400...499
        ),
        (
          "too many headers", #"b"GET /v1/status HTTP/1.1\r\n" + b"X: y\r\n" * 1000 + b"\r\n""#,
          400...499
        ),
        ("bad version", #"b"GET /v1/status HTTP/9.9\r\n\r\n""#, 400...505),
      ]
      for (name, payload, expected) in cases {
        let line = try ControlSocketClient.send(payload, to: daemon.socket, in: net)
        let parts = line.split(separator: " ")
        let code = parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
        #expect(expected.contains(code), "\(name): got \"\(line)\"")
        #expect(daemon.isRunning, "\(name) killed the daemon\n\(daemon.diagnostics())")
      }
      #expect(throws: Never.self) { _ = try daemon.status() }

      // Slowloris: a client trickling one byte every 0.5 s for 8 s must not hold the
      // single-threaded control server past the 2 s request deadline.
      let slow = net.workDirectory.appendingPathComponent("slow.py")
      try ControlSocketClient.slowloris.write(to: slow, atomically: true, encoding: .utf8)
      _ = try net.spawn(in: host, name: "slowloris", ["python3", slow.path, daemon.socket.path])
      try await Task.sleep(nanoseconds: 700_000_000)
      let began = Date()
      #expect(throws: Never.self) { _ = try daemon.status() }
      let waited = Date().timeIntervalSince(began)
      #expect(waited < 4, "status waited \(waited) s behind a slow client")
    }

    /// Hex of the bytes a base64 text encodes (how a careless log line might print them).
    static func hex(_ base64: String) -> String {
      guard let data = Data(base64Encoded: base64) else { return "" }
      return data.map { String(format: "%02x", $0) }.joined()
    }
  }
}
