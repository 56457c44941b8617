/// The canonical order of names in a record and the size they take on the wire.
extension NameEntry {
  /// Whether `self` sorts before `other` in a record: by name (bytewise), then kind, then
  /// address. A record's names are strictly ascending in this order, so equal name sets
  /// encode (and sign) alike on every host.
  public func precedes(_ other: NameEntry) -> Bool {
    if name != other.name { return name.utf8.lexicographicallyPrecedes(other.name.utf8) }
    if kind != other.kind { return kind.rawValue < other.kind.rawValue }
    return address < other.address
  }

  /// The bytes this entry takes in a record: kind (1) · name length (1) · name · address
  /// (4) · port count (1) · ports (2 each).
  public var encodedSize: Int { 7 + name.utf8.count + 2 * ports.count }

  /// Whether the entry has the shape a record may carry: a valid name (a single label for
  /// containers and services), at most `NameLimits.maxPortsPerName` ports, strictly ascending
  /// and nonzero.
  public var isWellFormed: Bool {
    guard kind == .manual ? NameRules.isValid(name) : NameRules.isLabel(name) else {
      return false
    }
    guard ports.count <= NameLimits.maxPortsPerName, ports.first != 0 else { return false }
    var index = 1
    while index < ports.count {
      if ports[index - 1] >= ports[index] { return false }
      index += 1
    }
    return true
  }

  /// `entries` in canonical order without duplicates (same name, kind and address: the
  /// first wins).
  public static func canonical(_ entries: [NameEntry]) -> [NameEntry] {
    var out: [NameEntry] = []
    for entry in entries.sorted(by: { $0.precedes($1) }) {
      if let last = out.last, !last.precedes(entry) { continue }
      out.append(entry)
    }
    return out
  }
}
