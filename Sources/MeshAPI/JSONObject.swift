/// A JSON object that keeps its keys in insertion order, so responses read the same every
/// time and match what a reader expects (`{"status": …, "peers": …}`).
public struct JSONObject: Equatable, Sendable, ExpressibleByDictionaryLiteral {
  /// One key and its value.
  public struct Member: Equatable, Sendable {
    /// The key.
    public var key: String
    /// The value.
    public var value: JSONValue

    /// Creates a member.
    public init(key: String, value: JSONValue) {
      self.key = key
      self.value = value
    }
  }

  /// The members in order; keys are unique.
  public private(set) var members: [Member]

  /// An empty object.
  public init() { members = [] }

  /// An object from a literal, in literal order; a repeated key keeps its last value.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    members = []
    for (k, v) in elements { self[k] = v }
  }

  /// The keys in order.
  public var keys: [String] { members.map(\.key) }

  /// The number of members.
  public var count: Int { members.count }

  /// The value for `key`; setting replaces it in place or appends, setting nil removes it.
  public subscript(key: String) -> JSONValue? {
    get { members.first { $0.key == key }?.value }
    set {
      let i = members.firstIndex { $0.key == key }
      switch (i, newValue) {
      case (let i?, let v?): members[i].value = v
      case (let i?, nil): members.remove(at: i)
      case (nil, let v?): members.append(Member(key: key, value: v))
      case (nil, nil): break
      }
    }
  }
}
