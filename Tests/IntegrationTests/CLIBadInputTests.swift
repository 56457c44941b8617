import Foundation
import Testing

extension MeshIntegration {
  /// (h) The CLI refuses bad input with one clear line and a non-zero exit.
  ///
  /// Every `meshd up` here runs inside a scratch namespace that holds a `br0`, so a daemon that
  /// wrongly starts anyway touches nothing outside it (and is killed by the timeout).
  @Suite("CLI bad input")
  struct CLIBadInputTests {
    /// A bad secret file and how to make it.
    struct BadSecret: Sendable, CustomStringConvertible {
      /// The case's name.
      let description: String
      /// The file's bytes, or nil for "no file at all".
      let contents: String?
      /// The file's mode.
      let mode: Int
    }

    static let badSecrets: [BadSecret] = [
      BadSecret(
        description: "mode 0644", contents: Data(repeating: 7, count: 32).base64EncodedString(),
        mode: 0o644),
      BadSecret(description: "not base64", contents: "this is *not* base64 !!!\n", mode: 0o600),
      BadSecret(
        description: "16 bytes, not 32",
        contents: Data(repeating: 7, count: 16).base64EncodedString() + "\n", mode: 0o600),
      BadSecret(description: "missing file", contents: nil, mode: 0o600),
    ]

    /// A one-host network without meshd bridges, plus a plain `br0` made with `ip`.
    private func scratchHost() throws -> (TestNetwork, NetnsHost) {
      let net = try TestNetwork(hostCount: 1, bridges: false)
      let host = net.host(1)
      try Shell.run([
        try IntegrationEnvironment.ip(), "-n", host.namespace, "link", "add", NetnsHost.bridge,
        "type", "bridge",
      ]).check()
      return (net, host)
    }

    @Test("an unknown flag exits non-zero with an error naming it")
    func unknownFlag() throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let (net, host) = try scratchHost()
      defer { net.shutdown() }
      let secret = try net.makeSecretFile()
      // `up` gets its required options, so the unknown flag is the only thing wrong.
      let cases = [
        [meshd, "--no-such-flag"],
        [meshd, "status", "--no-such-flag"],
        [
          meshd, "up", "--bridge", NetnsHost.bridge, "--secret-file", secret.path,
          "--listen", host.meshEndpoint, "--state-dir",
          net.workDirectory.appendingPathComponent("state").path, "--socket",
          net.workDirectory.appendingPathComponent("s.sock").path, "--no-such-flag",
        ],
      ]
      for argv in cases {
        let result = try host.run(argv, timeout: 10)
        #expect(!result.timedOut && result.status != 0, "\(result)")
        #expect(!result.stderrLines.isEmpty, "an error on stderr: \(result)")
        #expect(
          result.stderr.contains("--no-such-flag"), "the error names the flag: \(result)")
      }
    }

    @Test("meshd up refuses a bad secret file with one line naming it", arguments: badSecrets)
    func badSecretFile(_ bad: BadSecret) throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let (net, host) = try scratchHost()
      defer { net.shutdown() }
      let file = net.workDirectory.appendingPathComponent("bad-secret")
      if let contents = bad.contents {
        _ = FileManager.default.createFile(atPath: file.path, contents: Data(contents.utf8))
        try FileManager.default.setAttributes(
          [.posixPermissions: bad.mode], ofItemAtPath: file.path)
      }
      let result = try host.run(
        [
          meshd, "up", "--bridge", NetnsHost.bridge, "--secret-file", file.path, "--listen",
          host.meshEndpoint, "--state-dir", net.workDirectory.appendingPathComponent("state").path,
          "--socket", net.workDirectory.appendingPathComponent("s.sock").path,
        ], timeout: 10)
      #expect(!result.timedOut, "meshd up started despite a bad secret (\(bad)): \(result)")
      #expect(result.status != 0, "\(result)")
      #expect(result.stderr.contains(file.path), "the error names \(file.path): \(result)")
      #expect(result.stderrLines.count == 1, "exactly one line on stderr: \(result)")
    }

    @Test(
      "meshd up refuses a bad --busy-poll-us with one line naming the flag",
      arguments: ["-1", "1000001", "soon"])
    func badBusyPoll(_ value: String) throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let (net, host) = try scratchHost()
      defer { net.shutdown() }
      let secret = try net.makeSecretFile()
      let result = try host.run(
        [
          meshd, "up", "--bridge", NetnsHost.bridge, "--secret-file", secret.path, "--listen",
          host.meshEndpoint, "--state-dir", net.workDirectory.appendingPathComponent("state").path,
          "--socket", net.workDirectory.appendingPathComponent("s.sock").path,
          "--busy-poll-us", value,
        ], timeout: 10)
      #expect(!result.timedOut && result.status != 0, "\(result)")
      #expect(result.stderr.contains("--busy-poll-us"), "the error names the flag: \(result)")
    }

    @Test(
      "meshd up refuses a --nickname with control characters, naming the flag",
      arguments: ["x\u{1B}[2J\u{1B}[31mRED", "two\nlines", String(repeating: "n", count: 65)])
    func badNickname(_ value: String) throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let (net, host) = try scratchHost()
      defer { net.shutdown() }
      let secret = try net.makeSecretFile()
      let result = try host.run(
        [
          meshd, "up", "--bridge", NetnsHost.bridge, "--secret-file", secret.path, "--listen",
          host.meshEndpoint, "--state-dir", net.workDirectory.appendingPathComponent("state").path,
          "--socket", net.workDirectory.appendingPathComponent("s.sock").path,
          "--nickname", value,
        ], timeout: 10)
      #expect(!result.timedOut && result.status != 0, "\(result)")
      #expect(result.stderr.contains("--nickname"), "the error names the flag: \(result)")
      #expect(!result.stderr.contains("\u{1B}"), "the error does not echo the escape: \(result)")
    }

    @Test("meshd pubkey rejects garbage on stdin with one line")
    func pubkeyGarbage() throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      for input in ["garbage!!\n", "", Data(repeating: 1, count: 31).base64EncodedString()] {
        let result = try Shell.run([meshd, "pubkey"], stdin: input, timeout: 10)
        #expect(
          !result.timedOut && result.status != 0, "input \(input.debugDescription): \(result)")
        #expect(result.stderrLines.count == 1, "one line on stderr: \(result)")
        #expect(result.stdout.isEmpty, "no key printed: \(result)")
      }
    }

    @Test("genkey, pubkey and gen-secret print 32-byte base64 values")
    func keyTools() throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let key = try Shell.run([meshd, "genkey"], timeout: 10).check().stdout
      let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(Data(base64Encoded: trimmed)?.count == 32, "genkey: \(key)")
      let pub = try Shell.run([meshd, "pubkey"], stdin: key, timeout: 10).check().stdout
      let pubTrimmed = pub.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(Data(base64Encoded: pubTrimmed)?.count == 32, "pubkey: \(pub)")
      #expect(pubTrimmed != trimmed)
      let again = try Shell.run([meshd, "pubkey"], stdin: key, timeout: 10).check().stdout
      #expect(again == pub, "pubkey is deterministic")
      let secret = try Shell.run([meshd, "gen-secret"], timeout: 10).check().stdout
      #expect(
        Data(base64Encoded: secret.trimmingCharacters(in: .whitespacesAndNewlines))?.count == 32,
        "gen-secret: \(secret)")
    }
  }
}
