import Foundation
import Testing

extension MeshIntegration {
  /// The real `meshd` binary on 200 seeded random argument vectors, each with at least one
  /// thing wrong: it must fail cleanly every time (non-zero exit, an error message) and never
  /// die of a signal or a Swift runtime trap.
  ///
  /// Runs inside a scratch namespace; client commands always point at a socket that does not
  /// exist and `up` always gets an unusable secret file, so no vector can start a daemon or
  /// talk to one.
  @Suite("CLI garbage arguments")
  struct CLIGarbageArgsTests {
    @Test("200 seeded garbage argument vectors: clean errors, no crashes")
    func garbageVectors() throws {
      let meshd = try IntegrationEnvironment.meshdBinary()
      let net = try TestNetwork(hostCount: 1, bridges: false)
      defer { net.shutdown() }
      let host = net.host(1)
      let noSocket = net.workDirectory.appendingPathComponent("absent.sock").path
      let badSecret = net.workDirectory.appendingPathComponent("bad-secret")
      try SecretFiles.writePrivate("not a secret\n", to: badSecret)
      var generator = ArgumentVectorGenerator(
        seed: 0x434c_4967, socket: noSocket, badSecret: badSecret.path,
        stateDir: net.workDirectory.appendingPathComponent("st").path)
      let start = Date()
      var failures: [String] = []
      for i in 0..<200 {
        let argv = generator.next()
        let result = try host.run([meshd] + argv, timeout: 10)
        let shown = argv.map { $0.count > 40 ? String($0.prefix(40)) + "…" : $0 }
        let what = "#\(i) meshd \(shown) -> \(result.status)"
        if result.timedOut {
          failures.append("\(what): timed out")
        } else if result.status < 0 || result.status >= 128 {
          failures.append("\(what): killed by a signal\n\(result.stderr.suffix(500))")
        } else if result.stderr.contains("Fatal error") || result.stderr.contains("Backtrace")
          || result.stderr.contains("Crash")
        {
          failures.append("\(what): runtime trap\n\(result.stderr.suffix(500))")
        } else if result.status == 0 {
          // A help flag anywhere wins over every error (ArgumentParser): usage, exit 0.
          let asksHelp = argv.contains { $0 == "-h" || $0.hasPrefix("--help") }
          if !(asksHelp && result.stdout.contains("USAGE")) {
            failures.append("\(what): accepted an invalid vector")
          }
        } else if result.stderrLines.isEmpty {
          failures.append("\(what): no error message")
        }
      }
      #expect(
        failures.isEmpty,
        "\(failures.count) bad outcomes:\n\(failures.prefix(20).joined(separator: "\n"))")
      #expect(Date().timeIntervalSince(start) < 60)
    }
  }
}

/// Seeded random `meshd` argument vectors that each contain at least one definite error.
struct ArgumentVectorGenerator {
  private var rng: SplitMix64
  let socket: String
  let badSecret: String
  let stateDir: String

  /// Odd strings: empty, control characters, format strings, Unicode, very long, flag-like.
  static let garbage = [
    "", " ", "-", "--", "=", "-=-", "%n%s%x", "\u{1}\u{7f}", "ünïcødé", "🙂", "\t\n", "..",
    "../../etc/passwd", "a/b", "x:y", String(repeating: "A", count: 10_000), "-1", "0",
    "99999999999999999999999", "0x10", "1e9", "nan", "[::1", "1.2.3.4:0", "1.2.3.4:65536",
    "256.0.0.1", "10.0.0.1/33", "br0 br1", "--help=no", "--peer", "--socket",
  ]
  static let subcommands = [
    "genkey", "pubkey", "gen-secret", "create-bridge", "up", "status", "connect", "forget",
  ]
  static let options = [
    "--bridge", "--address", "--mtu", "--listen", "--peer", "--tap", "--nickname", "--log-level",
    "--socket-group", "--json", "--state-dir", "--allowed-keys-file", "--next-secret-file",
  ]

  init(seed: UInt64, socket: String, badSecret: String, stateDir: String) {
    rng = SplitMix64(seed: seed)
    self.socket = socket
    self.badSecret = badSecret
    self.stateDir = stateDir
  }

  private mutating func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }

  private mutating func value() -> String {
    rng.next() % 3 == 0 ? "10.47.0.\(rng.next() % 300)/\(rng.next() % 40)" : pick(Self.garbage)
  }

  /// The next vector.
  mutating func next() -> [String] {
    let sub = rng.next() % 10 == 0 ? pick(Self.garbage) + "x" : pick(Self.subcommands)
    var args: [String] = []
    for _ in 0..<(rng.next() % 5) { args += [pick(Self.options), value()] }
    // The poison that makes the vector invalid whatever else it holds.
    let poisons: [[String]] = [
      ["--no-such-flag-\(rng.next() % 100)"], ["--mtu", pick(["0", "-5", "abc", "70000"])],
      ["--listen", pick(Self.garbage)], ["stray-positional"], ["--log-level", "loud"],
      ["--socket-group", pick(["-1", "abc", "99999999999"])],
    ]
    args += pick(poisons)
    // Keep every vector away from real daemons and real secrets.
    switch sub {
    case "status", "connect", "forget": args += ["--socket", socket]
    case "up":
      args += ["--secret-file", badSecret, "--state-dir", stateDir, "--socket", socket + ".up"]
    default: break
    }
    if rng.next() % 2 == 0 { args.shuffle(using: &rng) }
    return [sub] + args
  }
}
