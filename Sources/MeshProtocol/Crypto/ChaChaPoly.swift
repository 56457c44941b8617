import CSodium

/// ChaCha20-Poly1305 (IETF, RFC 8439) as Noise uses it: the 96-bit nonce is 4 zero bytes then
/// the 64-bit message counter, little-endian.
///
/// The array forms suit the handshake and tests; the in-place forms use libsodium's detached
/// functions on caller-owned buffers and allocate nothing, for the per-packet data path.
public enum ChaChaPoly {
  /// The length of the Poly1305 authentication tag appended to every ciphertext.
  public static let tagLength = 16
  /// The key length in bytes.
  public static let keyLength = 32
  /// The nonce length in bytes (4 zero bytes and the 8-byte counter).
  public static let nonceLength = 12

  /// Calls `body` with the 12-byte Noise nonce for `counter`, built on the stack.
  @inline(__always)
  private static func withNonce<R>(_ counter: UInt64, _ body: (UnsafeRawPointer) -> R) -> R {
    var nonce: (UInt32, UInt32, UInt32) = (
      0,
      UInt32(truncatingIfNeeded: counter).littleEndian,
      UInt32(truncatingIfNeeded: counter >> 32).littleEndian
    )
    return withUnsafeBytes(of: &nonce) { body($0.baseAddress!) }
  }

  /// Encrypts `length` bytes at `buffer` in place and writes the 16-byte tag right after them.
  ///
  /// - Parameters:
  ///   - key: 32 key bytes.
  ///   - counter: the message counter; never reuse one with the same key.
  ///   - ad: associated data, authenticated but not encrypted (may be empty).
  ///   - buffer: plaintext on entry, ciphertext on return; the caller guarantees
  ///     `length + tagLength` writable bytes.
  ///   - length: the plaintext length.
  public static func sealInPlace(
    key: UnsafeRawPointer, counter: UInt64, ad: UnsafeRawBufferPointer,
    buffer: UnsafeMutableRawPointer, length: Int
  ) {
    Sodium.ensureInitialized()
    withNonce(counter) { nonce in
      _ = csodium_aead_seal_detached(
        buffer, buffer + length, buffer, length, ad.baseAddress, ad.count, nonce, key)
    }
  }

  /// Authenticates and decrypts `length` bytes at `buffer` in place, where `length` counts the
  /// trailing 16-byte tag. On success the first `length - tagLength` bytes hold the plaintext.
  ///
  /// Returns false, without throwing, when the input is shorter than a tag or does not
  /// authenticate (wrong key, counter, associated data, or tampering); libsodium then zeroes
  /// the plaintext region, so the caller must drop the packet.
  public static func openInPlace(
    key: UnsafeRawPointer, counter: UInt64, ad: UnsafeRawBufferPointer,
    buffer: UnsafeMutableRawPointer, length: Int
  ) -> Bool {
    guard length >= tagLength else { return false }
    Sodium.ensureInitialized()
    let textLength = length - tagLength
    let result = withNonce(counter) { nonce in
      csodium_aead_open_detached(
        buffer, buffer, textLength, buffer + textLength, ad.baseAddress, ad.count, nonce, key)
    }
    return result == 0
  }

  /// Encrypts `plaintext` and returns the ciphertext followed by the 16-byte tag.
  public static func seal(
    key: SymmetricKey, counter: UInt64, ad: [UInt8], plaintext: [UInt8]
  ) -> [UInt8] {
    var buffer = plaintext
    buffer.append(contentsOf: repeatElement(0, count: tagLength))
    let length = plaintext.count
    key.withUnsafeBytes { k in
      ad.withUnsafeBytes { a in
        buffer.withUnsafeMutableBytes { b in
          sealInPlace(
            key: k.baseAddress!, counter: counter, ad: a, buffer: b.baseAddress!, length: length)
        }
      }
    }
    return buffer
  }

  /// Authenticates and decrypts `ciphertext` (ciphertext then tag); nil when it is too short
  /// or does not authenticate.
  public static func open(
    key: SymmetricKey, counter: UInt64, ad: [UInt8], ciphertext: [UInt8]
  ) -> [UInt8]? {
    guard ciphertext.count >= tagLength else { return nil }
    var buffer = ciphertext
    let ok = key.withUnsafeBytes { k in
      ad.withUnsafeBytes { a in
        buffer.withUnsafeMutableBytes { b in
          openInPlace(
            key: k.baseAddress!, counter: counter, ad: a, buffer: b.baseAddress!,
            length: b.count)
        }
      }
    }
    guard ok else { return nil }
    buffer.removeLast(tagLength)
    return buffer
  }
}
