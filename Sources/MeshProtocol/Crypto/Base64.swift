/// Standard base64 (RFC 4648 section 4, with `=` padding), the text form of keys and secrets.
///
/// MeshCore does not use Foundation, so this small codec lives here. Decoding is strict: it
/// accepts only the canonical encoding of some byte string (no whitespace, no line breaks, no
/// missing padding, no stray bits), so one key has exactly one text form.
public enum Base64 {
  private static let alphabet: [UInt8] = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// Maps an ASCII byte to its 6-bit value, or 0xFF when it is not in the alphabet.
  private static let reverse: [UInt8] = {
    var table = [UInt8](repeating: 0xFF, count: 256)
    for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
    return table
  }()

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
    var out: [UInt8] = []
    out.reserveCapacity((raw.count + 2) / 3 * 4 + 1)
    var index = 0
    while index + 3 <= raw.count {
      let group = UInt32(raw[index]) << 16 | UInt32(raw[index + 1]) << 8 | UInt32(raw[index + 2])
      appendGroup(group, characters: 4, to: &out)
      index += 3
    }
    switch raw.count - index {
    case 1:
      appendGroup(UInt32(raw[index]) << 16, characters: 2, to: &out)
      out.append(padding)
      out.append(padding)
    case 2:
      let group = UInt32(raw[index]) << 16 | UInt32(raw[index + 1]) << 8
      appendGroup(group, characters: 3, to: &out)
      out.append(padding)
    default:
      break
    }
    return out
  }

  /// Appends the first `characters` 6-bit symbols of a 24-bit group.
  private static func appendGroup(_ group: UInt32, characters: Int, to out: inout [UInt8]) {
    for position in 0..<characters {
      let shift = UInt32(18 - 6 * position)
      out.append(alphabet[Int((group >> shift) & 0x3F)])
    }
  }

  /// Decodes canonical padded base64, or returns nil for anything else.
  public static func decode(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    return chars.withUnsafeBytes { c -> [UInt8]? in
      guard let length = decodedLength(c) else { return nil }
      var out = [UInt8](repeating: 0, count: length)
      let ok = out.withUnsafeMutableBytes { decode(c, into: $0) }
      return ok ? out : nil
    }
  }

  /// The number of bytes that base64 text of this many characters and this padding decodes
  /// to, or nil when its length is not a multiple of 4.
  private static func decodedLength(_ chars: UnsafeRawBufferPointer) -> Int? {
    guard chars.count % 4 == 0 else { return nil }
    guard !chars.isEmpty else { return 0 }
    var pad = 0
    if chars[chars.count - 1] == padding {
      pad = chars[chars.count - 2] == padding ? 2 : 1
    }
    return chars.count / 4 * 3 - pad
  }

  /// Decodes `chars`, whose length `decodedLength` accepted, into `out` (exactly that many
  /// bytes), or only validates them when `out` is nil. False when the text is not canonical;
  /// `out` may then hold part of the result, which the caller zeroes if it matters.
  private static func decode(
    _ chars: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer?
  ) -> Bool {
    guard !chars.isEmpty else { return true }
    var pad = 0
    if chars[chars.count - 1] == padding {
      pad = chars[chars.count - 2] == padding ? 2 : 1
    }
    var written = 0
    func emit(_ byte: UInt32) {
      out?[written] = UInt8(truncatingIfNeeded: byte)
      written += 1
    }
    var start = 0
    while start < chars.count {
      let isLast = start == chars.count - 4
      let symbols = isLast ? 4 - pad : 4
      var group: UInt32 = 0
      for position in 0..<4 {
        var value: UInt8 = 0
        if position < symbols {
          value = reverse[Int(chars[start + position])]
          if value == 0xFF { return false }
        }
        group = group << 6 | UInt32(value)
      }
      emit(group >> 16)
      if symbols >= 3 { emit(group >> 8) }
      if symbols == 4 { emit(group) }
      // Bits that the padding says are unused must be zero, or the text is not canonical.
      if isLast && pad == 2 && group & 0xFFFF != 0 { return false }
      if isLast && pad == 1 && group & 0xFF != 0 { return false }
      start += 4
    }
    return true
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
      guard decode(chars, into: nil) else { return .failure(.invalidBase64) }
      return .failure(.invalidLength(expected: length, actual: decoded))
    }
    var ok = true
    let key = SecureBytes(count: length) { ok = decode(chars, into: $0) }
    return ok ? .success(key) : .failure(.invalidBase64)
  }
}
