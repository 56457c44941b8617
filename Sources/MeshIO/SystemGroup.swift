#if canImport(Glibc)
  import Glibc
#endif

/// Looks up a Unix group, for the control socket's `--socket-group`.
public enum SystemGroup {
  /// The ID of the group `text` names: a group name known to the system (getgrnam), or the
  /// number of an existing group. Nil when no such group exists, so that a typo is refused
  /// at start instead of giving the socket to a group nobody is in.
  public static func id(_ text: String) -> UInt32? {
    guard !text.isEmpty, !text.utf8.contains(0) else { return nil }
    var entry = group()
    var result: UnsafeMutablePointer<group>?
    var buffer = [CChar](repeating: 0, count: 16384)
    if let number = UInt32(text) {
      let rc = getgrgid_r(number, &entry, &buffer, buffer.count, &result)
      return rc == 0 && result != nil ? number : nil
    }
    let rc = getgrnam_r(text, &entry, &buffer, buffer.count, &result)
    guard rc == 0, let found = result else { return nil }
    return found.pointee.gr_gid
  }
}
