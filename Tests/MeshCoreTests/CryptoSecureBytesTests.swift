import Testing

@testable import MeshCore
@testable import MeshProtocol

/// Zeroize-on-drop key storage: copies of a key share one buffer, which is zeroed when the last
/// holder goes away, and `wipe()` drops only the wiping value's reference.
@Suite struct CryptoSecureBytesTests {
  let filled = [UInt8](repeating: 0xA5, count: 32)
  let zeros = [UInt8](repeating: 0, count: 32)

  @Test func storageIsZeroedWhenTheLastCopyIsDropped() {
    let log = SecureBytesReleaseLog()
    var first: SymmetricKey? = SymmetricKey(storage: log.storage())
    var second = first
    #expect(first!.storage === second!.storage)
    first = nil
    #expect(log.releases.isEmpty)
    #expect(second!.bytes == filled)
    second = nil
    #expect(log.releases == [true])
  }

  @Test func copiesShareOneBuffer() {
    let key = SymmetricKey.generate()
    let copy = key
    let a = key.withUnsafeBytes { $0.baseAddress }
    let b = copy.withUnsafeBytes { $0.baseAddress }
    #expect(a == b)
  }

  @Test func wipeOnOneCopyLeavesTheOtherUsable() {
    let log = SecureBytesReleaseLog()
    var wiped = SymmetricKey(storage: log.storage())
    let kept = wiped
    wiped.wipe()
    #expect(wiped.bytes == zeros)
    #expect(kept.bytes == filled)
    #expect(log.releases.isEmpty)
    let sealed = ChaChaPoly.seal(key: kept, counter: 1, ad: [], plaintext: [1, 2, 3])
    #expect(ChaChaPoly.open(key: kept, counter: 1, ad: [], ciphertext: sealed) == [1, 2, 3])
    #expect(ChaChaPoly.open(key: wiped, counter: 1, ad: [], ciphertext: sealed) == nil)
  }

  @Test func wipeOfTheLastHolderZeroesAtOnce() {
    let log = SecureBytesReleaseLog()
    var key = SymmetricKey(storage: log.storage())
    key.wipe()
    #expect(log.releases == [true])
    #expect(key.bytes == zeros)
  }

  @Test func privateKeyWipeOnOneCopyLeavesTheOtherUsable() {
    let log = SecureBytesReleaseLog()
    var handshakeCopy: PrivateKey? = PrivateKey(storage: log.storage())
    var configured: PrivateKey? = handshakeCopy
    let publicKey = configured!.publicKey
    handshakeCopy!.wipe()
    #expect(handshakeCopy!.publicKey != publicKey)
    #expect(configured!.publicKey == publicKey)
    #expect(log.releases.isEmpty)
    handshakeCopy = nil
    configured = nil
    #expect(log.releases == [true])
  }

  @Test func equalBytesCompareEqual() throws {
    let bytes = (0..<32).map { UInt8($0) }
    let a = try SymmetricKey(bytes: bytes)
    let b = try SymmetricKey(bytes: bytes)
    #expect(a.storage !== b.storage)
    #expect(a == b)
    #expect(a != SymmetricKey.generate())
    let p = try PrivateKey(bytes: bytes)
    let q = try PrivateKey(bytes: bytes)
    #expect(p.storage !== q.storage)
    #expect(p == q)
    #expect(p != PrivateKey.generate())
  }

  @Test func descriptionStaysRedacted() throws {
    let bytes = [UInt8](repeating: 0x41, count: 32)
    let symmetric = try SymmetricKey(bytes: bytes)
    let secret = try PrivateKey(bytes: bytes)
    #expect("\(symmetric)" == "SymmetricKey(<redacted>)")
    #expect("\(secret)" == "PrivateKey(<redacted>)")
    for text in ["\(symmetric)", "\(secret)", "\([symmetric])", "\([secret])"] {
      #expect(!text.contains(symmetric.base64))
      #expect(!text.contains("AAAA"))
    }
  }

  @Test func storageIsZeroedWhenItsInitializerThrows() {
    struct Refused: Error {}
    let log = SecureBytesReleaseLog()
    #expect(throws: Refused.self) {
      _ = try SecureBytes(count: 32, onRelease: log.observer) { buffer throws(Refused) in
        buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
        throw Refused()
      }
    }
    #expect(log.releases == [true])
  }

  @Test func keyTextParsesIntoItsOwnStorage() throws {
    let key = SymmetricKey.generate()
    let parsed = try SymmetricKey(base64: key.base64 + "\n")
    #expect(parsed == key)
    #expect(parsed.storage !== key.storage)
    let secret = PrivateKey.generate()
    guard case .success(let read) = StateDirectory.parseKey(text: " \(secret.base64)\r\n") else {
      Issue.record("the key text did not parse")
      return
    }
    #expect(read == secret)
  }
}
