import MeshProtocol
import MeshTypes

/// The names section of a record's header (flag bit 3): see the layout on `RecordSegment`.
extension RecordSegment {
  /// Appends the names section: count, then each entry. `names` is non-empty and valid.
  static func encodeNames(_ names: [NameEntry], into out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: names.count))
    for entry in names {
      out.append(entry.kind.rawValue)
      let name = Array(entry.name.utf8)
      out.append(UInt8(truncatingIfNeeded: name.count))
      out += name
      out.appendBE32(entry.address)
      out.append(UInt8(truncatingIfNeeded: entry.ports.count))
      for port in entry.ports { out.appendLE16(port) }
    }
  }

  /// Decodes a names section for host `host`, checking every count and length against its
  /// bound before use. The names' rules (label syntax, order) are checked by
  /// `PeerRecord.validate()`, which refuses the whole record.
  static func decodeNames(_ reader: inout ByteReader, host: PeerID) throws(WireError)
    -> [NameEntry]
  {
    let count = Int(try reader.u8())
    guard count > 0 else { throw .malformed }
    guard count <= NameLimits.maxNamesPerHost else { throw .oversized }
    var names: [NameEntry] = []
    names.reserveCapacity(count)
    var bytes = 1
    for _ in 0..<count {
      guard let kind = NameEntry.Kind(rawValue: try reader.u8()) else { throw .malformed }
      let length = Int(try reader.u8())
      guard length > 0, length <= NameLimits.maxNameLength else { throw .oversized }
      guard let name = String(validating: try reader.take(length), as: UTF8.self) else {
        throw .malformed
      }
      let address = try reader.be32()
      let portCount = Int(try reader.u8())
      guard portCount <= NameLimits.maxPortsPerName else { throw .oversized }
      var ports: [UInt16] = []
      for _ in 0..<portCount { ports.append(try reader.le16()) }
      let entry = NameEntry(name: name, kind: kind, address: address, ports: ports, host: host)
      bytes += entry.encodedSize
      guard bytes <= NameLimits.maxNameBytes else { throw .oversized }
      names.append(entry)
    }
    return names
  }
}
