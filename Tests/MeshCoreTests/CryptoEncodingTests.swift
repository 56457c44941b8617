import MeshCore
import Testing

/// The base64 text form of keys and secrets (libsodium's constant-time codec, variant
/// ORIGINAL): RFC 4648 vectors, strict rejection, key lengths.
@Suite struct CryptoEncodingTests {
  @Test func rfc4648Vectors() {
    let cases = [
      ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]
    for (plain, encoded) in cases {
      #expect(Base64.encode(Array(plain.utf8)) == encoded)
      #expect(Base64.decode(encoded) == Array(plain.utf8))
    }
  }

  @Test func roundTripsEveryLengthAndByte() {
    var random = SeededRandom(seed: 42)
    for length in 0..<70 {
      let bytes = random.bytes(length)
      #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }
    let all = (0...255).map { UInt8($0) }
    #expect(Base64.decode(Base64.encode(all)) == all)
  }

  @Test(arguments: [
    "Zg=", "Zg", "Z===", "====", "Zh==", "Zm9=", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm 9v",
    "Zm9v\n", "Zm-_", "Zm9vYmFy=", "é===",
    // Bytes above 0x7F, which libsodium 1.0.18 reads as digits (found by FuzzConfig).
    "1\u{FFFD}0010", "Zm9\u{80}",
  ])
  func rejectsMalformed(_ text: String) {
    #expect(Base64.decode(text) == nil)
  }

  @Test func keyTextForms() throws {
    let secret = PrivateKey.generate()
    #expect(try PrivateKey(base64: secret.base64) == secret)
    #expect(secret.base64.count == 44)
    let pub = secret.publicKey
    #expect(try PublicKey(base64: pub.base64) == pub)
    #expect(try PublicKey(base64: pub.base64 + "\n") == pub)
    #expect(pub.description == pub.base64)
    let session = SymmetricKey.generate()
    #expect(try SymmetricKey(base64: "  " + session.base64 + "\r\n") == session)
  }

  @Test func keyTextFormsRejectBadInput() {
    #expect(throws: CryptoError.invalidBase64) { try PublicKey(base64: "not base64!") }
    #expect(throws: CryptoError.invalidLength(expected: 32, actual: 0)) {
      try PrivateKey(base64: "")
    }
    #expect(throws: CryptoError.invalidLength(expected: 32, actual: 3)) {
      try PublicKey(base64: "Zm9v")
    }
    let long = Base64.encode([UInt8](repeating: 1, count: 33))
    #expect(throws: CryptoError.invalidLength(expected: 32, actual: 33)) {
      try SymmetricKey(base64: long)
    }
  }

  @Test func keyTextRefusesEveryNonCanonicalForm() {
    let zero = String(repeating: "A", count: 43) + "="
    #expect(throws: Never.self) { try SymmetricKey(base64: zero) }
    let forms = [
      String(repeating: "A", count: 42) + "B=",  // stray bits under the padding
      String(repeating: "A", count: 43),  // padding missing
      String(repeating: "A", count: 20) + " " + String(repeating: "A", count: 23) + "=",
      String(repeating: "A", count: 42) + "-=",  // URL-safe alphabet
      "=" + String(repeating: "A", count: 43),
      zero + "A===",
    ]
    for text in forms {
      #expect(throws: CryptoError.invalidBase64, "\(text)") { try SymmetricKey(base64: text) }
      #expect(throws: CryptoError.invalidBase64, "\(text)") { try PublicKey(base64: text) }
    }
    let short = Base64.encode([UInt8](repeating: 9, count: 31))
    #expect(throws: CryptoError.invalidLength(expected: 32, actual: 31)) {
      try PrivateKey(base64: short)
    }
  }

  @Test func longInputsRoundTrip() {
    var random = SeededRandom(seed: 7)
    for length in [255, 256, 1000, 4099] {
      let bytes = random.bytes(length)
      let text = Base64.encode(bytes)
      #expect(text.utf8.count == (length + 2) / 3 * 4)
      #expect(Base64.decode(text) == bytes)
    }
  }
}
