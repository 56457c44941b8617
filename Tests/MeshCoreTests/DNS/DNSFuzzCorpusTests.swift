import Foundation
import MeshCore
import Testing

/// The committed FuzzDNS seeds stay valid messages, so the fuzzer starts from inputs that
/// reach past the header (queries of each kind, a compressed answer).
@Suite struct DNSFuzzCorpusTests {
  @Test func everySeedParsesAndRoundTrips() throws {
    let directory = TestPaths.packageRoot().appendingPathComponent("Fuzz/FuzzDNS/corpus")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    #expect(files.count >= 5)
    for file in files {
      let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))
      let message = try DNSMessage(parsing: bytes)
      let back = try DNSMessage(parsing: message.serialized())
      #expect(back.questions == message.questions, "\(file)")
      #expect(back.answers == message.answers, "\(file)")
      #expect(back.authorities == message.authorities, "\(file)")
    }
  }
}
