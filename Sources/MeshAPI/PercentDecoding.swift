/// Percent-decoding of request targets (RFC 3986), shared by the path and the query.
enum PercentDecoding {
  /// Decodes `%XX` escapes (and `+` as a space when `plusIsSpace`); nil for a bad escape,
  /// invalid UTF-8 or a decoded NUL.
  static func decode<S: Collection<UInt8>>(_ bytes: S, plusIsSpace: Bool) -> String? {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = bytes.startIndex
    while i != bytes.endIndex {
      let c = bytes[i]
      if c == UInt8(ascii: "%") {
        let h = bytes.index(after: i)
        guard h != bytes.endIndex else { return nil }
        let l = bytes.index(after: h)
        guard l != bytes.endIndex, let hi = hexValue(bytes[h]), let lo = hexValue(bytes[l]) else {
          return nil
        }
        out.append(hi << 4 | lo)
        i = bytes.index(after: l)
        continue
      }
      out.append(plusIsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
      i = bytes.index(after: i)
    }
    guard !out.contains(0) else { return nil }
    return String(validating: out, as: UTF8.self)
  }

  /// Splits a raw query string on `&` and `=` and decodes each part; nil if any part is bad.
  static func queryItems<S: Collection<UInt8>>(_ query: S) -> [HTTPQueryItem]? {
    var items: [HTTPQueryItem] = []
    for part in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
      let eq = part.firstIndex(of: UInt8(ascii: "="))
      let rawName = eq.map { part[part.startIndex..<$0] } ?? part[...]
      let rawValue = eq.map { part[part.index(after: $0)...] } ?? part[part.endIndex...]
      guard let name = decode(rawName, plusIsSpace: true),
        let value = decode(rawValue, plusIsSpace: true)
      else { return nil }
      items.append(HTTPQueryItem(name: name, value: value))
    }
    return items
  }

  private static func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
