import Foundation
import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshIO
@testable import MeshLogic

/// Manual names (`meshd dns add`) are kept in the state directory: written atomically, read
/// back after a restart, and a file that does not parse is an error naming it.
@Suite struct ManualNamesTests {
  static let host = PeerID(rawValue: 0xABCD)

  @Test func theFileParsesStrictly() throws {
    let names = try StateDirectory.parseManualNames(
      text: "# c\n\nWeb 10.47.1.2\r\ndb.prod\t10.47.1.3\n", host: Self.host
    ).get()
    #expect(names.map(\.name) == ["db.prod", "web"])
    #expect(names.allSatisfy { $0.kind == .manual && $0.host == Self.host })
    for bad in ["web", "web 10.47.1", "my_app 10.47.1.2", "web 10.47.1.2 extra"] {
      guard case .failure(let e) = StateDirectory.parseManualNames(text: bad, host: Self.host)
      else {
        Issue.record("\(bad) parsed")
        continue
      }
      #expect(e.reason.contains("line 1"))
    }
    let tooMany = (0...NameLimits.maxNamesPerHost).map { "n\($0) 10.47.1.2\n" }.joined()
    #expect(throws: StateFileSyntaxError.self) {
      try StateDirectory.parseManualNames(text: tooMany, host: Self.host).get()
    }
  }

  @Test func theRegistryKeepsManualNamesAcrossARestart() throws {
    let dir = "/tmp/meshcore-names-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let state = StateDirectory(path: dir)
    let registry = try NameRegistry(host: Self.host, stateDirectory: state)
    #expect(try registry.addManual("gateway", address: 0x0A2F_0101))
    #expect(try !registry.addManual("gateway", address: 0x0A2F_0101))
    #expect(try registry.addManual("gateway", address: 0x0A2F_0102))
    #expect(try registry.addManual("vm", address: 0x0A2F_0109))
    #expect(try registry.removeManual("gateway", address: 0x0A2F_0101) == 1)
    #expect(registry.published.map(\.name) == ["gateway", "vm"])

    let restarted = try NameRegistry(host: Self.host, stateDirectory: state)
    #expect(restarted.published == registry.published)
    var info = stat()
    #expect(stat(state.namesPath, &info) == 0 && info.st_mode & 0o777 == 0o600)

    // A corrupt file is refused with its path, never silently emptied.
    try SecureFile.writeAtomically(state.namesPath, Array("gateway nowhere\n".utf8))
    #expect {
      _ = try NameRegistry(host: Self.host, stateDirectory: state)
    } throws: { error in
      "\(error)".contains(state.namesPath)
    }
  }

  @Test func theListJSONRoundTrips() throws {
    let list = NameList(
      names: [
        NameEntry(
          name: "web", kind: .service, address: 0x0A2F_0102, ports: [80, 443], host: Self.host),
        NameEntry(name: "gw", kind: .manual, address: 0x0A2F_0101, host: Self.host),
      ], unpublished: 2, refused: 1)
    let decoded = NameList(json: try JSONValue.parse(list.json.serializedBytes()))
    #expect(decoded == list)
    #expect(list.text.contains("web\tservice\t10.47.1.2\t80,443\t"))
    #expect(list.text.contains("2 local names not published"))
  }
}
