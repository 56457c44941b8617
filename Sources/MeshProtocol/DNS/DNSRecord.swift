/// One resource record: owner name, type, class, TTL and typed data.
public struct DNSRecord: Hashable, Sendable {
  /// A record's data, typed for what this server writes and reads; everything else is kept
  /// as raw bytes (whose embedded names, if any, stay compressed as received).
  public enum Data: Hashable, Sendable {
    /// An IPv4 address (host byte order).
    case a(UInt32)
    /// A name: PTR, CNAME or NS data.
    case name(DNSName)
    /// A service location: priority, weight, port and target host.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// A zone's authority: primary server, mailbox, and five 32-bit values (serial, refresh,
    /// retry, expire, minimum).
    case soa(primary: DNSName, mailbox: DNSName, values: [UInt32])
    /// Any other data, as received.
    case raw([UInt8])
  }

  /// The owner name.
  public var name: DNSName
  /// The record type.
  public var type: DNSRecordType
  /// The class; for OPT, the sender's UDP payload size.
  public var recordClass: UInt16
  /// Seconds the record may be cached; for OPT, the extended flags.
  public var ttl: UInt32
  /// The data.
  public var data: Data

  /// Creates a record.
  public init(
    name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSQuestion.classIN, ttl: UInt32,
    data: Data
  ) {
    self.name = name
    self.type = type
    self.recordClass = recordClass
    self.ttl = ttl
    self.data = data
  }

  /// An EDNS OPT pseudo-record advertising `udpSize` (RFC 6891), with no options.
  public static func opt(udpSize: UInt16) -> DNSRecord {
    DNSRecord(name: .root, type: .opt, recordClass: udpSize, ttl: 0, data: .raw([]))
  }
}
