import MeshCore
import Testing

/// Known answers and properties of the libsodium wrappers. Expected values come from
/// independent sources: RFC 7748, Python's hashlib/hmac and the `cryptography` package.
@Suite struct CryptoPrimitiveTests {
  let alicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
  let alicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
  let bobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
  let bobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
  let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

  func key(_ hex: String) throws -> PrivateKey { try PrivateKey(bytes: Hex.decode(hex)!) }

  @Test func x25519MatchesRFC7748() throws {
    let alice = try key(alicePrivate)
    let bob = try key(bobPrivate)
    #expect(Hex.encode(alice.publicKey.bytes) == alicePublic)
    #expect(Hex.encode(bob.publicKey.bytes) == bobPublic)
    #expect(Hex.encode(try X25519.sharedSecret(alice, bob.publicKey)) == shared)
    #expect(Hex.encode(try X25519.sharedSecret(bob, alice.publicKey)) == shared)
  }

  @Test func lowOrderPointsAreRefused() throws {
    let mine = PrivateKey.generate()
    let zero = try #require(PublicKey(bytes: [UInt8](repeating: 0, count: 32)))
    #expect(throws: CryptoError.lowOrderPoint) { try X25519.sharedSecret(mine, zero) }
    var one = [UInt8](repeating: 0, count: 32)
    one[0] = 1
    let onePoint = try #require(PublicKey(bytes: one))
    #expect(throws: CryptoError.lowOrderPoint) { try X25519.sharedSecret(mine, onePoint) }
  }

  @Test func keyLengthsAreChecked() {
    #expect(throws: CryptoError.invalidLength(expected: 32, actual: 31)) {
      try PrivateKey(bytes: [UInt8](repeating: 1, count: 31))
    }
    #expect(throws: CryptoError.invalidLength(expected: 32, actual: 33)) {
      try SymmetricKey(bytes: [UInt8](repeating: 1, count: 33))
    }
    #expect(PublicKey(bytes: []) == nil)
    #expect(PublicKey(bytes: [UInt8](repeating: 9, count: 32)) != nil)
  }

  @Test func generatedKeysDifferAndSeededOnesRepeat() {
    #expect(PrivateKey.generate() != PrivateKey.generate())
    var a = SeededRandom(seed: 7)
    var b = SeededRandom(seed: 7)
    #expect(PrivateKey.generate(using: &a) == PrivateKey.generate(using: &b))
    #expect(SymmetricKey.generate(using: &a) == SymmetricKey.generate(using: &b))
  }

  @Test func wipeZeroesKeys() {
    var secret = PrivateKey.generate()
    secret.wipe()
    #expect(secret.bytes == [UInt8](repeating: 0, count: 32))
    var session = SymmetricKey.generate()
    session.wipe()
    #expect(session.bytes == [UInt8](repeating: 0, count: 32))
    #expect(!"\(PrivateKey.generate())".contains("="))
  }

  @Test func peerIDIsStableAndMatchesBlake2b() throws {
    let pub = try key(alicePrivate).publicKey
    // First 8 bytes of BLAKE2b-256(pub), little-endian (Python hashlib).
    #expect(pub.peerID == PeerID(rawValue: 0x6449_114c_9e86_917a))
    #expect(pub.peerID == PublicKey(bytes: pub.bytes)!.peerID)
    #expect(try key(bobPrivate).publicKey.peerID != pub.peerID)
  }

  @Test func blake2bKnownAnswers() {
    #expect(
      Hex.encode(Blake2b.hash(Array("abc".utf8)))
        == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
        + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    #expect(Blake2b.hash(Array("a".utf8), Array("bc".utf8)) == Blake2b.hash(Array("abc".utf8)))
    let macKey = (0..<32).map { UInt8($0) }
    let expected = "9267a5d0815b82605503ad8bf246ac90"
    #expect(Hex.encode(Blake2b.mac(key: macKey, data: Array("meshd".utf8))) == expected)
    let raw = Array("meshd".utf8).withUnsafeBytes { Blake2b.mac(key: macKey, data: $0) }
    #expect(Hex.encode(raw) == expected)
  }

  @Test func hmacBlake2bMatchesRFC2104() {
    let fox = Array("The quick brown fox jumps over the lazy dog".utf8)
    #expect(
      Hex.encode(HMACBlake2b.mac(key: Array("key".utf8), data: fox))
        == "92294f92c0dfb9b00ec9ae8bd94d7e7d8a036b885a499f149dfe2fd2199394aa"
        + "af6b8894a1730cccb2cd050f9bcf5062a38b51b0dab33207f8ef35ae2c9df51b")
    // A key longer than the 128-byte block is hashed first.
    let longKey = (0..<200).map { UInt8($0) }
    #expect(
      Hex.encode(HMACBlake2b.mac(key: longKey, data: Array("abc".utf8)))
        == "feb09eb5b1c557085c0a53bdf39ef7bc9af291f21d7c917cd1cf09542aab9536"
        + "2de79b3925fe55d92997423b5a68be1bda2f6518df34fa1053bb3ef559b08200")
    // HMAC is not BLAKE2b's keyed mode.
    let key = [UInt8](repeating: 0x42, count: 32)
    #expect(
      HMACBlake2b.mac(key: key, data: fox) != Blake2b.mac(key: key, data: fox, outputLength: 64))
  }

  @Test func hkdfFollowsNoiseDefinition() {
    let chainingKey = [UInt8](repeating: 0x11, count: 64)
    let input = [UInt8](repeating: 0x22, count: 32)
    let outputs = HMACBlake2b.hkdf(chainingKey: chainingKey, input: input, outputs: 3)
    let temp = HMACBlake2b.mac(key: chainingKey, data: input)
    let one = HMACBlake2b.mac(key: temp, data: [1])
    let two = HMACBlake2b.mac(key: temp, data: one + [2])
    let three = HMACBlake2b.mac(key: temp, data: two + [3])
    #expect(outputs == [one, two, three])
    #expect(HMACBlake2b.hkdf(chainingKey: chainingKey, input: input, outputs: 2) == [one, two])
    #expect(HMACBlake2b.hkdf(chainingKey: chainingKey, input: [], outputs: 2)[0] != one)
  }

  @Test func chachaPolyKnownAnswer() throws {
    // Python `cryptography` ChaCha20Poly1305 with nonce 00000000 || LE64(5).
    let key = try SymmetricKey(bytes: (0..<32).map { UInt8($0) })
    let sealed = ChaChaPoly.seal(
      key: key, counter: 5, ad: Array("ad".utf8), plaintext: Array("hello noise".utf8))
    #expect(Hex.encode(sealed) == "4b6dfa662a052951e2d95c42b60b7fc994977d6a6e09dd49280fa1")
  }

  @Test func chachaPolyRoundTripAndTampering() {
    let key = SymmetricKey.generate()
    let ad: [UInt8] = [1, 2, 3]
    for length in [0, 1, 15, 16, 17, 1420] {
      let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
      let sealed = ChaChaPoly.seal(key: key, counter: 9, ad: ad, plaintext: plaintext)
      #expect(sealed.count == length + ChaChaPoly.tagLength)
      #expect(ChaChaPoly.open(key: key, counter: 9, ad: ad, ciphertext: sealed) == plaintext)
      #expect(ChaChaPoly.open(key: key, counter: 10, ad: ad, ciphertext: sealed) == nil)
      #expect(ChaChaPoly.open(key: key, counter: 9, ad: [1, 2], ciphertext: sealed) == nil)
      #expect(
        ChaChaPoly.open(key: SymmetricKey.generate(), counter: 9, ad: ad, ciphertext: sealed) == nil
      )
      for index in [0, sealed.count / 2, sealed.count - 1] {
        var tampered = sealed
        tampered[index] ^= 0x01
        #expect(ChaChaPoly.open(key: key, counter: 9, ad: ad, ciphertext: tampered) == nil)
      }
    }
    #expect(ChaChaPoly.open(key: key, counter: 0, ad: [], ciphertext: [1, 2, 3]) == nil)
  }

  @Test func inPlaceFormsMatchConvenienceForms() {
    let key = SymmetricKey.generate()
    let ad: [UInt8] = Array("header".utf8)
    let plaintext = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
    let expected = ChaChaPoly.seal(key: key, counter: 123_456_789_012, ad: ad, plaintext: plaintext)
    var buffer = plaintext + [UInt8](repeating: 0xEE, count: ChaChaPoly.tagLength)
    key.withUnsafeBytes { k in
      ad.withUnsafeBytes { a in
        buffer.withUnsafeMutableBytes { b in
          ChaChaPoly.sealInPlace(
            key: k.baseAddress!, counter: 123_456_789_012, ad: a, buffer: b.baseAddress!,
            length: plaintext.count)
        }
      }
    }
    #expect(buffer == expected)
    let opened = key.withUnsafeBytes { k in
      ad.withUnsafeBytes { a in
        buffer.withUnsafeMutableBytes { b in
          ChaChaPoly.openInPlace(
            key: k.baseAddress!, counter: 123_456_789_012, ad: a, buffer: b.baseAddress!,
            length: b.count)
        }
      }
    }
    #expect(opened)
    #expect(Array(buffer.prefix(plaintext.count)) == plaintext)
    var short: [UInt8] = [1, 2, 3]
    let rejected = key.withUnsafeBytes { k in
      short.withUnsafeMutableBytes { b in
        ChaChaPoly.openInPlace(
          key: k.baseAddress!, counter: 0, ad: UnsafeRawBufferPointer(start: nil, count: 0),
          buffer: b.baseAddress!, length: b.count)
      }
    }
    #expect(!rejected)
  }

  @Test func systemRandomFillsBuffers() {
    var random = SystemRandom()
    let a = random.bytes(32)
    let b = random.bytes(32)
    #expect(a != b)
    #expect(a != [UInt8](repeating: 0, count: 32))
  }
}
