/// Rules for text that a host announces about itself for people to read (its nickname; later
/// container names): checked where it is made and where it is decoded, and escaped wherever it
/// is printed, so that a member cannot clear another host's terminal, colour it, or forge lines
/// in its `meshd status` or its logs.
public enum DisplayText {
  /// Whether `text` may be announced: 1 to `maxBytes` bytes of UTF-8, with no control
  /// character (C0, DEL, C1) and no Unicode bidirectional override or isolate, which would
  /// make a terminal show the text in another order than it is.
  public static func isValid(_ text: String, maxBytes: Int) -> Bool {
    let count = text.utf8.count
    guard count > 0, count <= maxBytes else { return false }
    return !text.unicodeScalars.contains(where: isUnsafe)
  }

  /// `text` with every character that `isValid` refuses replaced by `replacement`, cut to
  /// `maxBytes` bytes on a character boundary; for a value this host makes from something it
  /// does not control (its host name).
  public static func sanitized(_ text: String, maxBytes: Int, replacement: Character = "?")
    -> String
  {
    var out = ""
    for character in text {
      let safe = character.unicodeScalars.contains(where: isUnsafe) ? replacement : character
      if out.utf8.count + String(safe).utf8.count > maxBytes { break }
      out.append(safe)
    }
    return out
  }

  /// `text` for a terminal or a log line: control characters, bidirectional overrides and
  /// backslashes written as escapes (`\e`, `\n`, `\u{202E}`, `\\`), everything else as is.
  public static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { isUnsafe($0) || $0 == "\\" }) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{1B}": out += "\\e"
      case _ where isUnsafe(scalar):
        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// Control characters (C0, DEL, C1) and the bidirectional embeddings, overrides and isolates.
  static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: true
    case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
    default: false
    }
  }
}
