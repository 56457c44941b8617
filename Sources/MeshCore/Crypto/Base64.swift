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
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index + 3 <= bytes.count {
      let group =
        UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
      appendGroup(group, characters: 4, to: &out)
      index += 3
    }
    switch bytes.count - index {
    case 1:
      appendGroup(UInt32(bytes[index]) << 16, characters: 2, to: &out)
      out.append(padding)
      out.append(padding)
    case 2:
      let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
      appendGroup(group, characters: 3, to: &out)
      out.append(padding)
    default:
      break
    }
    return String(decoding: out, as: UTF8.self)
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
    guard chars.count % 4 == 0 else { return nil }
    guard !chars.isEmpty else { return [] }
    var pad = 0
    if chars[chars.count - 1] == padding {
      pad = chars[chars.count - 2] == padding ? 2 : 1
    }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 4 * 3)
    var start = 0
    while start < chars.count {
      let isLast = start == chars.count - 4
      let symbols = isLast ? 4 - pad : 4
      var group: UInt32 = 0
      for position in 0..<4 {
        var value: UInt8 = 0
        if position < symbols {
          value = reverse[Int(chars[start + position])]
          if value == 0xFF { return nil }
        }
        group = group << 6 | UInt32(value)
      }
      out.append(UInt8(truncatingIfNeeded: group >> 16))
      if symbols >= 3 { out.append(UInt8(truncatingIfNeeded: group >> 8)) }
      if symbols == 4 { out.append(UInt8(truncatingIfNeeded: group)) }
      // Bits that the padding says are unused must be zero, or the text is not canonical.
      if isLast && pad == 2 && group & 0xFFFF != 0 { return nil }
      if isLast && pad == 1 && group & 0xFF != 0 { return nil }
      start += 4
    }
    return out
  }
}

extension Base64 {
  /// Decodes the text form of a key of `length` bytes. Leading and trailing ASCII whitespace
  /// (the newline at the end of a key file or of `meshd pubkey`'s input) is ignored.
  static func decodeKey(_ text: String, length: Int) throws(CryptoError) -> [UInt8] {
    let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    let utf8 = Array(text.utf8)
    let start = utf8.firstIndex { !isSpace($0) } ?? utf8.endIndex
    let end = utf8.lastIndex { !isSpace($0) }.map { $0 + 1 } ?? start
    let trimmed = String(decoding: utf8[start..<max(start, end)], as: UTF8.self)
    guard let bytes = decode(trimmed) else { throw .invalidBase64 }
    guard bytes.count == length else {
      throw .invalidLength(expected: length, actual: bytes.count)
    }
    return bytes
  }
}
