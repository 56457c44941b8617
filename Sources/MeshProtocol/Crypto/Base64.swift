import CSodium

/// Standard base64 (RFC 4648 section 4, with `=` padding), the text form of keys and secrets.
///
/// Both directions are libsodium's constant-time codec (`sodium_bin2base64`,
/// `sodium_base642bin`, variant ORIGINAL): no table is indexed by a secret byte or character,
/// so reading or writing a key file leaks nothing through the cache. Decoding is strict: it
/// accepts only the canonical encoding of some byte string (no whitespace, no line breaks, no
/// missing padding, no stray bits), so one key has exactly one text form.
public enum Base64 {
  private static let padding = UInt8(ascii: "=")

  /// Encodes `bytes` as padded base64 text.
  public static func encode(_ bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { encode($0) }
  }

  /// Encodes raw bytes, e.g. a key's storage, with no intermediate array left behind: the
  /// ASCII working copy is zeroed once the string is made.
  static func encode(_ raw: UnsafeRawBufferPointer) -> String {
    var ascii = encodedASCII(raw)
    defer { Sodium.memzero(&ascii) }
    return String(decoding: ascii, as: UTF8.self)
  }

  /// The base64 text of `raw` as ASCII bytes, with room for one more byte (a newline) so a
  /// caller writing a key file can append it without a reallocation leaving a stale copy.
  /// The caller zeroes it when it holds a secret.
  package static func encodedASCII(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
    Sodium.ensureInitialized()
    // libsodium writes a terminating NUL: that byte is the room left for the newline.
    let capacity = csodium_base64_encoded_len(raw.count)
    var out = [UInt8](repeating: 0, count: capacity)
    out.withUnsafeMutableBytes { text in
      csodium_bin2base64(text.baseAddress, text.count, raw.baseAddress, raw.count)
    }
    out.removeLast()
    return out
  }

  /// Decodes canonical padded base64, or returns nil for anything else.
  public static func decode(_ text: String) -> [UInt8]? {
    var chars = Array(text.utf8)
    defer { Sodium.memzero(&chars) }
    return chars.withUnsafeBytes { c -> [UInt8]? in
      guard let length = decodedLength(c) else { return nil }
      var out = [UInt8](repeating: 0, count: length)
      let ok = out.withUnsafeMutableBytes { decode(c, into: $0) }
      return ok ? out : nil
    }
  }

  /// The number of bytes that base64 text of this many characters and this padding decodes
  /// to, or nil when its length is not a multiple of 4. Looks only at the length and the last
  /// two characters, which padded base64 of a given length reveals anyway.
  private static func decodedLength(_ chars: UnsafeRawBufferPointer) -> Int? {
    guard chars.count % 4 == 0 else { return nil }
    guard !chars.isEmpty else { return 0 }
    var pad = 0
    if chars[chars.count - 1] == padding {
      pad = chars[chars.count - 2] == padding ? 2 : 1
    }
    return chars.count / 4 * 3 - pad
  }

  /// Decodes `chars` into `out`, which must be exactly as long as the decoded bytes. False when
  /// the text is not canonical padded base64 of that many bytes; `out` may then hold part of
  /// the result, which the caller zeroes if it matters.
  private static func decode(
    _ chars: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
  ) -> Bool {
    guard !chars.isEmpty else { return out.isEmpty }
    // libsodium 1.0.18 maps some bytes above 0x7F to base64 digits; no base64 character is one.
    // Checked over every byte without an early exit, so the time depends on the length only.
    var high: UInt8 = 0
    for byte in chars { high |= byte }
    guard high & 0x80 == 0 else { return false }
    Sodium.ensureInitialized()
    var written = 0
    let status = csodium_base642bin(
      out.baseAddress, out.count, chars.baseAddress, chars.count, &written)
    return status == 0 && written == out.count
  }
}

extension Base64 {
  /// Decodes the text form of a key of `length` bytes. Leading and trailing ASCII whitespace
  /// (the newline at the end of a key file or of `meshd pubkey`'s input) is ignored.
  static func decodeKey(_ text: String, length: Int) throws(CryptoError) -> [UInt8] {
    try decodeSecretKey(text, length: length).copyBytes()
  }

  /// `decodeKey` for a secret: the bytes go straight into zeroize-on-drop storage, and the
  /// text is read in place (or from a copy that is zeroed), so no stray copy is left behind.
  static func decodeSecretKey(_ text: String, length: Int) throws(CryptoError) -> SecureBytes {
    let inPlace = text.utf8.withContiguousStorageIfAvailable {
      decodeSecretKey(utf8: UnsafeRawBufferPointer($0), length: length)
    }
    if let inPlace { return try inPlace.get() }
    var utf8 = Array(text.utf8)
    defer { Sodium.memzero(&utf8) }
    return try utf8.withUnsafeBytes { decodeSecretKey(utf8: $0, length: length) }.get()
  }

  /// `decodeSecretKey` on the UTF-8 bytes of the text, e.g. a key file as read. Throws
  /// (through the result) `invalidBase64` for text that is not canonical base64 and
  /// `invalidLength` for base64 of the wrong number of bytes.
  package static func decodeSecretKey(
    utf8: UnsafeRawBufferPointer, length: Int
  ) -> Result<SecureBytes, CryptoError> {
    let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    let start = utf8.firstIndex { !isSpace($0) } ?? utf8.endIndex
    let end = utf8.lastIndex { !isSpace($0) }.map { $0 + 1 } ?? start
    let chars = UnsafeRawBufferPointer(rebasing: utf8[start..<max(start, end)])
    guard let decoded = decodedLength(chars) else { return .failure(.invalidBase64) }
    guard decoded == length else {
      // Decode into zeroed scratch storage only to tell bad text from a wrong length: the
      // bytes may be a secret of the wrong size.
      var valid = decoded == 0
      if decoded > 0 { _ = SecureBytes(count: decoded) { valid = decode(chars, into: $0) } }
      guard valid else { return .failure(.invalidBase64) }
      return .failure(.invalidLength(expected: length, actual: decoded))
    }
    var ok = true
    let key = SecureBytes(count: length) { ok = decode(chars, into: $0) }
    return ok ? .success(key) : .failure(.invalidBase64)
  }
}
