import MeshIO
import MeshLogic
import MeshTypes

/// The manual names (`meshd dns add`), kept across restarts.
extension StateDirectory {
  /// The file of manual names: one `NAME ADDRESS` a line.
  public var namesPath: String { path + "/names" }

  /// The manual names saved for host `host`; none when the file does not exist yet.
  public func loadManualNames(host: PeerID) throws(SecureFile.Failure) -> [NameEntry] {
    let bytes: [UInt8]
    do {
      bytes = try SecureFile.read(namesPath, requirePrivate: false, followSymlinks: false)
    } catch .missing {
      return []
    }
    return try StateDirectory.parseManualNames(
      text: String(decoding: bytes, as: UTF8.self), host: host
    ).mapError(path: namesPath)
  }

  /// Replaces the saved manual names, atomically (temporary file, fsync, rename).
  public func saveManualNames(_ names: [NameEntry]) throws(SecureFile.Failure) {
    try SecureFile.makeDirectory(path)
    let text =
      "# names added with meshd dns add: NAME ADDRESS\n"
      + names.map { "\($0.name) \(IPv4Network.format($0.address))\n" }.joined()
    try SecureFile.writeAtomically(namesPath, Array(text.utf8), mode: 0o600)
  }

  /// Parses a names file: `NAME ADDRESS` a line (a valid name, a dotted-quad address), blank
  /// lines and `#` comments ignored, at most `NameLimits.maxNamesPerHost` entries.
  public static func parseManualNames(text: String, host: PeerID)
    -> Result<[NameEntry], StateFileSyntaxError>
  {
    var out: [NameEntry] = []
    for (n, line) in lines(of: text) {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count == 2, let name = NameRules.normalized(fields[0]),
        let address = Endpoint.parseV4(fields[1])
      else {
        return .failure(StateFileSyntaxError("line \(n): expected NAME A.B.C.D"))
      }
      out.append(NameEntry(name: name, kind: .manual, address: address, host: host))
      guard out.count <= NameLimits.maxNamesPerHost else {
        return .failure(StateFileSyntaxError("more than \(NameLimits.maxNamesPerHost) names"))
      }
    }
    return .success(NameEntry.canonical(out))
  }
}
