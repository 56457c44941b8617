#if canImport(Glibc)
  import Glibc
#endif

/// Runs Debian's `nft` command line tool with a script on its standard input (`nft -f -`):
/// one atomic transaction per call. meshd's firewall rules go through it rather than netlink,
/// since nftables' netlink messages are a large format of their own.
public enum NftCommand {
  /// Why `nft` failed.
  public struct Failure: Error, CustomStringConvertible {
    /// What happened: `nft` missing, or its exit status and error output.
    public var description: String
  }

  /// The directories searched for `nft` (a daemon's PATH may lack the sbin ones).
  static let searchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin"]

  /// The `nft` binary, or nil when none is installed.
  public static var binary: String? {
    searchPath.map { "\($0)/nft" }.first { access($0, X_OK) == 0 }
  }

  /// Runs `nft -f -` with `script`; throws with nft's own words when it refuses it.
  public static func apply(_ script: String) throws {
    guard let nft = binary else {
      throw Failure(description: "nft not found (install Debian's nftables package)")
    }
    var input: [Int32] = [-1, -1]
    var errors: [Int32] = [-1, -1]
    guard pipe(&input) == 0 else { throw SystemError(call: "pipe", errno: errno) }
    guard pipe(&errors) == 0 else {
      Syscall.close(input[0])
      Syscall.close(input[1])
      throw SystemError(call: "pipe", errno: errno)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
    posix_spawn_file_actions_adddup2(&actions, errors[1], 1)
    for fd in input + errors { posix_spawn_file_actions_addclose(&actions, fd) }
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(nft), strdup("-f"), strdup("-"), nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, nft, &actions, nil, argv, environ)
    Syscall.close(input[0])
    Syscall.close(errors[1])
    guard spawned == 0 else {
      Syscall.close(input[1])
      Syscall.close(errors[0])
      throw SystemError(call: "posix_spawn(\(nft))", errno: spawned)
    }
    var script = script
    script.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        let n = write(input[1], bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { break }
        offset += n
      }
    }
    Syscall.close(input[1])
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while output.count < 65536 {
      let n = buffer.withUnsafeMutableBytes { read(errors[0], $0.baseAddress, $0.count) }
      if n < 0, errno == EINTR { continue }
      guard n > 0 else { break }
      output += buffer.prefix(n)
    }
    Syscall.close(errors[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    // WIFEXITED and WEXITSTATUS, written out (the macros do not import).
    let exited = status & 0x7F == 0
    let code = (status >> 8) & 0xFF
    guard exited, code == 0 else {
      let text = String(decoding: output, as: UTF8.self)
      throw Failure(
        description: "nft refused the rules (\(exited ? "exit \(code)" : "killed")): \(text)")
    }
  }
}
