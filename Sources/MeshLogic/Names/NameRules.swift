/// The shape a name must have: DNS label rules, lowercase.
///
/// A name is one or more labels joined by dots; a label is 1 to `NameLimits.maxLabelLength`
/// bytes of `a`-`z`, `0`-`9` and `-`, neither starting nor ending with a hyphen. The whole
/// name is at most `NameLimits.maxNameLength` bytes. Uppercase is refused here (callers that
/// take outside input lower-case it first with `normalized(_:)`), so one name has one spelling
/// on the wire and in every host's directory.
public enum NameRules {
  /// Whether `name` is a valid relative name.
  public static func isValid(_ name: String) -> Bool {
    let bytes = name.utf8
    guard !bytes.isEmpty, bytes.count <= NameLimits.maxNameLength else { return false }
    var labelLength = 0
    var previous: UInt8 = UInt8(ascii: ".")
    for byte in bytes {
      if byte == UInt8(ascii: ".") {
        guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
        labelLength = 0
      } else {
        guard isLabelByte(byte) else { return false }
        if labelLength == 0, byte == UInt8(ascii: "-") { return false }
        labelLength += 1
        guard labelLength <= NameLimits.maxLabelLength else { return false }
      }
      previous = byte
    }
    return labelLength > 0 && previous != UInt8(ascii: "-")
  }

  /// Whether `name` is a single valid label (a container's or a service's name).
  public static func isLabel(_ name: String) -> Bool {
    isValid(name) && !name.utf8.contains(UInt8(ascii: "."))
  }

  /// `text` lower-cased (ASCII only) when the result is a valid name, else nil: the form
  /// names from the Docker API and the command line take.
  public static func normalized(_ text: some StringProtocol) -> String? {
    guard text.utf8.count <= NameLimits.maxNameLength else { return nil }
    let lowered = String(
      decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    return isValid(lowered) ? lowered : nil
  }

  /// `a`-`z`, `0`-`9` or `-`.
  static func isLabelByte(_ byte: UInt8) -> Bool {
    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
  }
}
