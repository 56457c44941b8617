import CSodium

#if canImport(Glibc)
  import Glibc
#endif

/// Small files that hold secrets and state: read with a size bound and a permission check, and
/// written atomically (temporary file, fsync, rename, fsync of the directory), so a crash at any
/// moment leaves either the old file or the new one, never a torn one.
public enum SecureFile {
  /// The largest key, secret or state file read.
  public static let maxSize = 1 << 20

  /// Errors naming the file and what is wrong with it.
  public enum Failure: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case missing(String)
    /// The file could not be opened or read.
    case unreadable(String, String)
    /// Group or others may read or write the file.
    case tooOpen(String, UInt32)
    /// The file is larger than `maxSize`.
    case tooLarge(String)
    /// The file could not be written.
    case unwritable(String, String)
    /// The content is not what it should be.
    case malformed(String, String)
    /// The path is not a regular file (a FIFO, a device, a directory, a socket, or a symbolic
    /// link where one is refused); the second value names what it is.
    case notRegular(String, String)

    /// One line naming the file and the problem.
    public var description: String {
      switch self {
      case .missing(let p): "\(p): no such file"
      case .unreadable(let p, let why): "\(p): cannot read: \(why)"
      case .tooOpen(let p, let mode):
        "\(p): permissions \(String(mode, radix: 8)) are too open; it must not be accessible by "
          + "group or others (chmod 600 \(p))"
      case .tooLarge(let p): "\(p): larger than \(SecureFile.maxSize) bytes"
      case .unwritable(let p, let why): "\(p): cannot write: \(why)"
      case .malformed(let p, let why): "\(p): \(why)"
      case .notRegular(let p, let what): "\(p): is \(what), not a regular file"
      }
    }
  }

  /// Reads a whole file. With `requirePrivate`, refuses a file that group or others can access,
  /// as ssh does with private keys.
  ///
  /// Only a regular file is read: a FIFO, device, socket or directory is refused without
  /// waiting on it (the open does not block), and with `followSymlinks` false so is a symbolic
  /// link (for state files meshd writes itself, which are never links). Nothing of a refused
  /// file's content appears in the error.
  public static func read(_ path: String, requirePrivate: Bool, followSymlinks: Bool = true)
    throws(Failure) -> [UInt8]
  {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW)
    let fd = open(path, flags)
    guard fd >= 0 else {
      let e = errno
      if e == ENOENT { throw .missing(path) }
      if e == ELOOP, !followSymlinks { throw .notRegular(path, "a symbolic link") }
      throw .unreadable(path, String(cString: strerror(e)))
    }
    defer { _ = Glibc.close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw .unreadable(path, String(cString: strerror(errno))) }
    guard st.st_mode & S_IFMT == S_IFREG else { throw .notRegular(path, kind(of: st.st_mode)) }
    // A regular file never blocks; back to blocking reads so EAGAIN cannot appear.
    _ = fcntl(fd, F_SETFL, O_RDONLY)
    if requirePrivate, st.st_mode & 0o077 != 0 { throw .tooOpen(path, st.st_mode & 0o777) }
    guard st.st_size <= maxSize else { throw .tooLarge(path) }
    // The file may hold a secret: `out` gets room for all of it up front, so growing it leaves
    // no stale copy behind, and the read buffer is zeroed (as is `out` on failure).
    var out: [UInt8] = []
    out.reserveCapacity(Int(st.st_size) + 1)
    var chunk = [UInt8](repeating: 0, count: 4096)
    defer { wipe(&chunk) }
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        let why = String(cString: strerror(errno))
        wipe(&out)
        throw .unreadable(path, why)
      }
      if n == 0 { break }
      out += chunk[0..<n]
      guard out.count <= maxSize else {
        wipe(&out)
        throw .tooLarge(path)
      }
    }
    return out
  }

  /// Replaces `path` atomically with `bytes`, created with `mode`.
  public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600)
    throws(Failure)
  {
    let tmp = path + ".tmp.\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .unwritable(path, String(cString: strerror(errno))) }
    var ok = fchmod(fd, mode) == 0
    var written = 0
    while ok, written < bytes.count {
      let n = bytes.withUnsafeBytes {
        Glibc.write(fd, $0.baseAddress! + written, $0.count - written)
      }
      if n < 0, errno == EINTR { continue }
      if n <= 0 { ok = false } else { written += n }
    }
    let why = String(cString: strerror(errno))
    ok = ok && fsync(fd) == 0
    _ = Glibc.close(fd)
    guard ok, rename(tmp, path) == 0 else {
      unlink(tmp)
      throw .unwritable(path, why)
    }
    let dir = directory(of: path)
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 {
      _ = fsync(dfd)
      _ = Glibc.close(dfd)
    }
  }

  /// Removes the temporary files `writeAtomically` leaves next to `path` when the process
  /// dies between creating and renaming them (`PATH.tmp.PID` of a process that no longer
  /// exists). Returns how many were removed. Without this, every crash during a write would
  /// leave one more file behind.
  @discardableResult
  public static func removeStaleTemporaries(of path: String) -> Int {
    let dir = directory(of: path)
    let prefix =
      String(path[(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)...])
      + ".tmp."
    guard let handle = opendir(dir) else { return 0 }
    defer { closedir(handle) }
    var removed = 0
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count)) else { continue }
      if pid == getpid() || (pid > 0 && kill(pid, 0) == 0) { continue }
      if unlink(dir + "/" + name) == 0 { removed += 1 }
    }
    return removed
  }

  /// Creates a directory (and its parents) with `mode` if it does not exist.
  public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(Failure) {
    var prefix = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
      prefix += "/" + part
      if mkdir(prefix, mode) != 0, errno != EEXIST {
        throw .unwritable(prefix, String(cString: strerror(errno)))
      }
    }
  }

  /// What a non-regular file is, for an error message.
  static func kind(of mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: "a FIFO"
    case S_IFDIR: "a directory"
    case S_IFSOCK: "a socket"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFLNK: "a symbolic link"
    default: "an unknown kind of file"
    }
  }

  /// The directory part of a path.
  public static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The text of a file with surrounding white space removed.
  public static func text(_ bytes: [UInt8]) -> String {
    trimmed(String(decoding: bytes, as: UTF8.self))
  }

  /// `text` without leading and trailing spaces, tabs, CR and LF. Works on bytes, not
  /// characters: a CRLF line end is one `Character` and would survive a character-based trim.
  public static func trimmed(_ text: String) -> String {
    let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    let utf8 = text.utf8
    guard let first = utf8.firstIndex(where: { !isSpace($0) }),
      let last = utf8.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(decoding: utf8[first...last], as: UTF8.self)
  }
}

/// Zeroes a buffer that may have held a secret, with libsodium's `sodium_memzero`, which the
/// compiler cannot optimise away.
private func wipe(_ bytes: inout [UInt8]) {
  bytes.withUnsafeMutableBytes { raw in
    guard let base = raw.baseAddress, raw.count > 0 else { return }
    csodium_memzero(base, raw.count)
  }
}
