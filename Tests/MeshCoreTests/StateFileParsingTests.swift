import Foundation
import MeshAPI
import MeshCore
import MeshIO
import Testing

/// The pure state-file parsers behind `StateDirectory`'s readers (also fuzzed by FuzzConfig),
/// with regression inputs for what the hostile-input work found.
@Suite("State file parsing")
struct StateFileParsingTests {
  static let secret = Base64.encode([UInt8](repeating: 7, count: 32))

  @Test("a secret or key written with CRLF line ends loads")
  func crlf() throws {
    // A character-based trim kept "\r\n" (one grapheme) and refused these files.
    #expect(throws: Never.self) { try StateDirectory.parseSecret(text: Self.secret + "\r\n").get() }
    let key = PrivateKey.generate()
    let parsed = try StateDirectory.parseKey(text: key.base64 + "\r\n").get()
    #expect(parsed.publicKey == key.publicKey)
    let peers = try StateDirectory.parseKnownPeers(text: "192.0.2.1:1\r\n\r\n198.51.100.2\r\n")
      .get()
    #expect(peers.map(\.description) == ["192.0.2.1:1", "198.51.100.2:6786"])
  }

  @Test("errors name the real line number, blank lines counted")
  func lineNumbers() {
    let result = StateDirectory.parseKnownPeers(text: "# c\n\n192.0.2.1\n\nnot-an-ip\n")
    guard case .failure(let e) = result else {
      Issue.record("accepted a bad line")
      return
    }
    #expect(e.reason.hasPrefix("line 5:"), "\(e.reason)")
  }

  @Test("bounds: more than maxKnownPeers entries are refused")
  func bounds() {
    let text = String(repeating: "192.0.2.1:1\n", count: StateDirectory.maxKnownPeers + 1)
    if case .success = StateDirectory.parseKnownPeers(text: text) {
      Issue.record("accepted too many peers")
    }
    let key = PublicKey(bytes: [UInt8](repeating: 9, count: 32))!.base64
    #expect((try? StateDirectory.parseAllowedKeys(text: "\(key)\n\(key)\n").get())?.count == 1)
  }

  @Test("garbage is refused, never trapped on")
  func garbage() {
    for text in ["", "=", "====", "A===", "\u{0}", "🙂", "::::", "[", "1.2.3.4:", "#only\n"] {
      if case .success = StateDirectory.parseSecret(text: text) { Issue.record("secret \(text)") }
      if case .success = StateDirectory.parseKey(text: text) { Issue.record("key \(text)") }
      _ = StateDirectory.parseKnownPeers(text: text)
      _ = StateDirectory.parseAllowedKeys(text: text)
    }
  }

  @Test("stale temporary files of dead writers are removed, live ones kept")
  func staleTemporaries() throws {
    let dir = "/tmp/meshcore-stale-\(getpid())"
    try SecureFile.makeDirectory(dir)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/known-peers"
    // PID 2^22+1 is above the default pid_max, so no process has it.
    try SecureFile.writeAtomically(path + ".tmp.4194305", [1])
    try SecureFile.writeAtomically(path + ".tmp.\(getpid())", [1])
    #expect(SecureFile.removeStaleTemporaries(of: path) == 1)
    #expect((try? SecureFile.read(path + ".tmp.\(getpid())", requirePrivate: false)) == [1])
  }

  @Test func knownPeersCarryTheAgeOfEndpointsThatNeverAnswered() throws {
    let text = "# c\n192.0.2.1:6786\n192.0.2.9:6786 unanswered-since=1733390000 attempts=12\n"
    let entries = try StateDirectory.parseKnownPeerEntries(text: text).get()
    #expect(
      entries == [
        KnownPeer(Endpoint("192.0.2.1:6786")!),
        KnownPeer(
          Endpoint("192.0.2.9:6786")!, unanswered: .init(since: 1_733_390_000, attempts: 12)),
      ])
    #expect(try StateDirectory.parseKnownPeers(text: text).get().count == 2)
    for bad in [
      "192.0.2.9:6786 attempts=3\n", "192.0.2.9:6786 unanswered-since=x attempts=1\n",
      "192.0.2.9:6786 color=blue\n", "192.0.2.9:6786 attempts=-1 unanswered-since=5\n",
    ] {
      guard case .failure(let e) = StateDirectory.parseKnownPeerEntries(text: bad) else {
        Issue.record("accepted \(bad)")
        continue
      }
      #expect(e.reason.hasPrefix("line 1:"), "\(e.reason)")
    }
  }

  @Test func knownPeersWithAgesRoundTripThroughTheFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "meshd-known-peers-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(
      at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    defer { try? FileManager.default.removeItem(at: dir) }
    let state = StateDirectory(path: dir.path)
    let peers = [
      KnownPeer(Endpoint("192.0.2.1:6786")!),
      KnownPeer(Endpoint("[2001:db8::9]:6786")!, unanswered: .init(since: 42, attempts: 3)),
    ]
    try state.saveKnownPeers(peers)
    #expect(try state.loadKnownPeerEntries() == peers)
    #expect(try state.loadKnownPeers() == peers.map(\.endpoint))
  }
}
