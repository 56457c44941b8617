/// Why a DNS message was refused. The codec throws one of these for every malformed input
/// and never traps; the cases carry no strings.
public enum DNSParseError: Error, Equatable, Hashable, Sendable {
  /// The message ends before a field it declares.
  case truncated
  /// A label length byte beyond ``DNSLimits/maxLabel`` that is not a pointer (0x40-0xBF, the
  /// obsolete extended label types).
  case labelTooLong
  /// A name is longer than ``DNSLimits/maxName``.
  case nameTooLong
  /// A compression pointer points forward, at itself, or at a place the name has already
  /// read (a loop), or the name follows more than ``DNSLimits/maxPointers``.
  case badPointer
  /// The section counts exceed ``DNSLimits/maxRecords`` or ``DNSLimits/maxQuestions``.
  case tooManyRecords
  /// A record's data does not match its type (an A record that is not 4 bytes, a name that
  /// runs past its record, …).
  case badRecordData
  /// More than one OPT record, or one outside the additional section (RFC 6891 6.1.1).
  case badOPT
  /// The message is longer than ``DNSLimits/maxMessage``.
  case oversized
}
