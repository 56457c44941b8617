import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO

/// Only regular files are read as secrets and state: a FIFO is refused at once (it would
/// block the start forever), and a state file that is a symbolic link is refused without its
/// target's content appearing in the error.
@Suite("Secure file kinds")
struct SecureFileKindTests {
  private func withDirectory(_ body: (String) throws -> Void) throws {
    let dir = "/tmp/mshsf-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    try SecureFile.makeDirectory(dir)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
  }

  @Test("a FIFO is refused by name, without waiting for a writer")
  func fifo() throws {
    try withDirectory { dir in
      let path = dir + "/secret"
      #expect(mkfifo(path, 0o600) == 0)
      #expect(throws: SecureFile.Failure.notRegular(path, "a FIFO")) {
        _ = try StateDirectory.readSecret(path)
      }
      #expect(throws: SecureFile.Failure.notRegular(dir, "a directory")) {
        _ = try SecureFile.read(dir, requirePrivate: false)
      }
    }
  }

  @Test("a known-peers file that is a link is refused without echoing its target")
  func linkedKnownPeers() throws {
    try withDirectory { dir in
      let target = dir + "/notes"
      try SecureFile.writeAtomically(target, Array("private-first-line\n".utf8))
      let state = StateDirectory(path: dir)
      #expect(symlink(target, state.knownPeersPath) == 0)
      do {
        _ = try state.loadKnownPeers()
        Issue.record("a linked known-peers file was read")
      } catch {
        let text = String(describing: error)
        #expect(
          text == SecureFile.Failure.notRegular(state.knownPeersPath, "a symbolic link").description
        )
        #expect(!text.contains("private"))
      }
      // A secret given as a link (as Kubernetes mounts them) is still followed.
      let secret = dir + "/secret"
      try SecureFile.writeAtomically(
        secret, Array((Data(repeating: 7, count: 32).base64EncodedString() + "\n").utf8))
      #expect(symlink(secret, dir + "/secret-link") == 0)
      #expect((try? StateDirectory.readSecret(dir + "/secret-link")) != nil)
    }
  }
}
