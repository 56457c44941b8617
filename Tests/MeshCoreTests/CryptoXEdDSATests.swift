import CSodium
import MeshCore
import Testing

@testable import MeshProtocol

/// XEdDSA signatures with the X25519 identity key, and the Montgomery-to-Edwards conversion
/// they rest on, checked against libsodium.
@Suite struct CryptoXEdDSATests {
  /// A repeatable key and Z.
  func fixture(_ seed: UInt64) -> (key: PrivateKey, z: [UInt8]) {
    var random = SeededRandom(seed: seed)
    return (PrivateKey.generate(using: &random), random.bytes(XEdDSA.randomLength))
  }

  /// The bytes of `a + b` as 256-bit little-endian numbers (no overflow in the uses here).
  func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var carry = 0
    for index in 0..<32 {
      let sum = Int(a[index]) + Int(b[index]) + carry
      out[index] = UInt8(sum & 0xFF)
      carry = sum >> 8
    }
    return out
  }

  let p: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

  @Test func montgomeryUMapsToTheEdwardsKeyLibsodiumMade() {
    for _ in 0..<1000 {
      var edwards = [UInt8](repeating: 0, count: 32)
      var secret = [UInt8](repeating: 0, count: 64)
      _ = csodium_sign_keypair(&edwards, &secret)
      var u = [UInt8](repeating: 0, count: 32)
      #expect(csodium_sign_pk_to_curve25519(&u, edwards) == 0)
      var expected = edwards
      expected[31] &= 0x7F
      #expect(XEdDSA.edwardsPublicKey(montgomery: u) == expected, "u \(Hex.encode(u))")
    }
  }

  @Test func fieldArithmeticAgreesWithSmallCases() {
    let two = Field25519.one + .one
    #expect((two * two.inverse).bytes == Field25519.one.bytes)
    #expect((Field25519.zero - .one).bytes == add(p, [UInt8](repeating: 0xFF, count: 32)))
    #expect(Field25519(bytes: p).bytes == Field25519.zero.bytes)
    #expect(Field25519.zero.inverse.bytes == Field25519.zero.bytes)
  }

  @Test func aSignatureVerifiesWithTheX25519PublicKey() {
    for seed in 0..<50 {
      let (key, z) = fixture(UInt64(seed))
      let message = Array("record \(seed)".utf8)
      let signature = XEdDSA.sign(message, with: key, random: z)
      #expect(signature.count == XEdDSA.signatureLength)
      #expect(XEdDSA.verify(signature, of: message, by: key.publicKey))
    }
  }

  @Test func theSameKeyAndZGiveTheSameSignature() {
    let (key, z) = fixture(7)
    let message = Array("repeat".utf8)
    #expect(
      XEdDSA.sign(message, with: key, random: z) == XEdDSA.sign(message, with: key, random: z))
    var other = z
    other[0] ^= 1
    #expect(
      XEdDSA.sign(message, with: key, random: z) != XEdDSA.sign(message, with: key, random: other))
    #expect(
      XEdDSA.verify(XEdDSA.sign(message, with: key, random: other), of: message, by: key.publicKey))
  }

  @Test func aFlippedBitAnywhereFails() {
    let (key, z) = fixture(1)
    let message = Array("a gossip record of some length".utf8)
    let signature = XEdDSA.sign(message, with: key, random: z)
    for bit in 0..<(8 * message.count) {
      var tampered = message
      tampered[bit / 8] ^= 1 << UInt8(bit % 8)
      #expect(!XEdDSA.verify(signature, of: tampered, by: key.publicKey), "message bit \(bit)")
    }
    for bit in 0..<(8 * signature.count) {
      var tampered = signature
      tampered[bit / 8] ^= 1 << UInt8(bit % 8)
      #expect(!XEdDSA.verify(tampered, of: message, by: key.publicKey), "signature bit \(bit)")
    }
    #expect(!XEdDSA.verify(Array(signature.dropLast()), of: message, by: key.publicKey))
  }

  @Test func anotherKeyFails() {
    let (key, z) = fixture(2)
    let (other, _) = fixture(3)
    let message = Array("mine".utf8)
    #expect(
      !XEdDSA.verify(XEdDSA.sign(message, with: key, random: z), of: message, by: other.publicKey))
  }

  @Test func aNonCanonicalUFails() throws {
    let (key, z) = fixture(4)
    let message = Array("canonical".utf8)
    let signature = XEdDSA.sign(message, with: key, random: z)
    // u + p names the same field element, but is not its canonical encoding.
    let alias = try #require(PublicKey(bytes: add(key.publicKey.bytes, p)))
    #expect(!XEdDSA.verify(signature, of: message, by: alias))
    #expect(XEdDSA.edwardsPublicKey(montgomery: p) == nil)
    #expect(XEdDSA.edwardsPublicKey(montgomery: [UInt8](repeating: 0xFF, count: 32)) == nil)
    var belowP = p
    belowP[0] -= 1
    #expect(XEdDSA.edwardsPublicKey(montgomery: belowP) != nil)
  }

  @Test func anOperatorKeySignsAndVerifies() throws {
    var random = SeededRandom(seed: 9)
    let key = OperatorKey.generate(using: &random)
    let message = Array("tombstone".utf8)
    let signature = key.sign(message)
    #expect(key.publicKey.verify(signature, of: message))
    #expect(!key.publicKey.verify(signature, of: message + [0]))
    #expect(try OperatorKey(base64: key.base64) == key)
    #expect(try OperatorPublicKey(base64: key.publicKey.base64) == key.publicKey)
    #expect("\(key)" == "OperatorKey(<redacted>)")
  }
}
