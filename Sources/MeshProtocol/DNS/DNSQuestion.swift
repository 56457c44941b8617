/// One question of a message: a name, a type and a class.
public struct DNSQuestion: Hashable, Sendable {
  /// The name asked about.
  public var name: DNSName
  /// The type asked for.
  public var type: DNSRecordType
  /// The class (IN, almost always).
  public var recordClass: UInt16

  /// The class IN, the only one this server answers.
  public static let classIN: UInt16 = 1

  /// Creates a question.
  public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSQuestion.classIN) {
    self.name = name
    self.type = type
    self.recordClass = recordClass
  }
}
