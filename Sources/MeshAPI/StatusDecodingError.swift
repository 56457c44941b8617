/// Why a `/v1/status` document (or another answer of the daemon) does not read back into its
/// typed value: the member that is missing or malformed, as a path such as `peers[2].endpoint`.
public struct StatusDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
  /// Where in the document: `mtu`, `peers[2].endpoint`, `drops.mac1`; empty for the whole.
  public var path: String

  /// An error at `path`.
  public init(path: String) { self.path = path }

  /// One line for the operator.
  public var description: String {
    path.isEmpty
      ? "meshd sent a status that is not a JSON object"
      : "meshd sent a status with a missing or malformed \"\(path)\""
  }
}
