import MeshProtocol
import MeshTypes

/// A control-plane message, carried inside an encrypted session (inner kind "gossip").
///
/// Layout: one leading byte, format version in the high nibble (`formatVersion`, 1) and kind
/// in the low nibble, then a kind-specific body (integers little-endian):
/// - records (1): count (1, 1...255) · that many `RecordSegment`s;
/// - digest (2): a `DigestChunk` body: mode · lower · upper · count (≤ 73) · entries;
/// - request (3): count (2, 1...`MeshLimits.maxRequestIDs`) · IDs (8 each);
/// - summary (4): a `DigestSummary` body: mode · 64 × (count (2) · hash (8));
/// - key alert (5): one `KeyAlert`.
///
/// Every encoded message is at most `MeshLimits.maxMessage` (1200) bytes. Decoding is strict:
/// an unknown version or kind, a count over its bound, a truncated field or trailing bytes is a
/// `WireError`, never a trap.
public enum GossipMessage: Equatable, Sendable {
  /// Record segments: whole small records, or slices of large ones.
  case records([RecordSegment])
  /// A slice of the sender's digest; see `DigestChunk`.
  case digest(DigestChunk)
  /// "Send me these records."
  case request([PeerID])
  /// The sender's digest fingerprint; see `DigestSummary`.
  case summary(DigestSummary)
  /// A member's signed warning that two live hosts use one key; see `KeyAlert`.
  case keyAlert(KeyAlert)

  /// The format version in the leading byte's high nibble.
  public static let formatVersion: UInt8 = 1
  /// Kind nibble of `.records`.
  static let kindRecords: UInt8 = 1
  /// Kind nibble of `.digest`.
  static let kindDigest: UInt8 = 2
  /// Kind nibble of `.request`.
  static let kindRequest: UInt8 = 3
  /// Kind nibble of `.summary`.
  static let kindSummary: UInt8 = 4
  /// Kind nibble of `.keyAlert`.
  static let kindKeyAlert: UInt8 = 5
  /// Bytes before the segments of a `.records` message.
  static let recordsHeader = 2
  /// Bytes before the entries of a `.digest` message.
  static let digestHeader = 1 + 1 + 8 + 8 + 2
  /// Bytes before the IDs of a `.request` message.
  static let requestHeader = 3

  /// The encoded message. Throws `.oversized` when it would exceed `MeshLimits.maxMessage` or
  /// a count bound, and `.malformed` for an empty list.
  public func encode() throws(WireError) -> [UInt8] {
    var out: [UInt8] = []
    switch self {
    case .records(let segments):
      guard !segments.isEmpty else { throw .malformed }
      guard segments.count <= MeshLimits.maxSegmentsPerMessage else { throw .oversized }
      out = [Self.leading(Self.kindRecords), UInt8(segments.count)]
      for segment in segments {
        let record = segment.record
        do {
          try record.validateShape()
        } catch {
          throw .malformed
        }
        guard segment.totalConnections <= MeshLimits.maxConnections,
          segment.offset + record.connections.count <= segment.totalConnections
        else { throw .oversized }
        RecordSegment.encode(
          record, connections: record.connections[...], offset: segment.offset, into: &out)
        // The encoder writes the slice's own count as the total; patch in the real total.
        let totalAt = out.count - 8 * record.connections.count - RecordSegment.sliceHeader
        out[totalAt] = UInt8(truncatingIfNeeded: segment.totalConnections)
        out[totalAt + 1] = UInt8(truncatingIfNeeded: segment.totalConnections >> 8)
      }
    case .digest(let chunk):
      guard chunk.entries.count <= MeshLimits.maxDigestEntries else { throw .oversized }
      out = [Self.leading(Self.kindDigest)]
      chunk.encode(into: &out)
    case .request(let ids):
      guard !ids.isEmpty else { throw .malformed }
      guard ids.count <= MeshLimits.maxRequestIDs else { throw .oversized }
      out = [Self.leading(Self.kindRequest)]
      out.appendLE16(UInt16(ids.count))
      for id in ids { out.appendLE64(id.rawValue) }
    case .summary(let summary):
      out = [Self.leading(Self.kindSummary)]
      summary.encode(into: &out)
    case .keyAlert(let alert):
      guard alert.signature.count == KeyAlert.signatureLength else { throw .malformed }
      out = [Self.leading(Self.kindKeyAlert)]
      alert.encode(into: &out)
    }
    guard out.count <= MeshLimits.maxMessage else { throw .oversized }
    return out
  }

  /// The leading byte for `kind`.
  static func leading(_ kind: UInt8) -> UInt8 { formatVersion << 4 | kind }

  /// Decodes one message strictly; see the type's layout.
  public static func decode(_ bytes: [UInt8]) throws(WireError) -> GossipMessage {
    guard bytes.count <= MeshLimits.maxMessage else { throw .oversized }
    var reader = ByteReader(bytes)
    let lead = try reader.u8()
    guard lead >> 4 == formatVersion else { throw .unsupportedVersion(lead >> 4) }
    let message: GossipMessage
    switch lead & 0x0F {
    case kindRecords:
      let count = Int(try reader.u8())
      guard count > 0 else { throw .malformed }
      var segments: [RecordSegment] = []
      segments.reserveCapacity(count)
      for _ in 0..<count { segments.append(try RecordSegment.decode(&reader)) }
      message = .records(segments)
    case kindDigest:
      message = .digest(try DigestChunk.decode(&reader))
    case kindRequest:
      let count = Int(try reader.le16())
      guard count > 0 else { throw .malformed }
      guard count <= MeshLimits.maxRequestIDs else { throw .oversized }
      var ids: [PeerID] = []
      for _ in 0..<count { ids.append(PeerID(rawValue: try reader.le64())) }
      message = .request(ids)
    case kindSummary:
      message = .summary(try DigestSummary.decode(&reader))
    case kindKeyAlert:
      message = .keyAlert(try KeyAlert.decode(&reader))
    default:
      throw .unknownType(lead)
    }
    try reader.finish()
    return message
  }

  /// Packs `records` into as few `.records` messages as a greedy first-fit allows: small
  /// records share a message, large ones are split into segments. Every result is at most
  /// `MeshLimits.maxMessage` bytes. Records must be valid.
  public static func pack(_ records: [PeerRecord]) -> [[UInt8]] {
    var segments: [[UInt8]] = []
    for record in records {
      segments += RecordSegment.split(record, budget: MeshLimits.maxMessage - recordsHeader)
    }
    return pack(segments: segments)
  }

  /// Packs already-encoded segments (each at most `maxMessage - recordsHeader` bytes) into
  /// `.records` messages, first fit over the last few messages opened (a bounded scan, so
  /// packing thousands of records stays linear).
  static func pack(segments: [[UInt8]]) -> [[UInt8]] {
    var messages: [[UInt8]] = []
    for segment in segments {
      let scanFrom = max(0, messages.count - 8)
      let fits = messages[scanFrom...].firstIndex {
        $0.count + segment.count <= MeshLimits.maxMessage
          && Int($0[1]) < MeshLimits.maxSegmentsPerMessage
      }
      if let index = fits {
        messages[index] += segment
        messages[index][1] += 1
      } else {
        messages.append([leading(kindRecords), 1] + segment)
      }
    }
    return messages
  }

  /// `ids` as `.request` messages of at most `MeshLimits.maxRequestIDs` each.
  public static func requests(_ ids: [PeerID]) -> [GossipMessage] {
    stride(from: 0, to: ids.count, by: MeshLimits.maxRequestIDs).map {
      .request(Array(ids[$0..<min(ids.count, $0 + MeshLimits.maxRequestIDs)]))
    }
  }
}
