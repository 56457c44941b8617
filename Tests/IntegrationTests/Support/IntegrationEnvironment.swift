import Foundation

/// Facts about the machine the integration suite runs on: whether it can run at all, and where
/// the tools and the `meshd` binary are.
enum IntegrationEnvironment {
  /// Whether the suite can run here: root, `ip` available and `/dev/net/tun` present.
  ///
  /// CI and the development machines run as root, so there the suite must run, never skip.
  static let canRun: Bool = {
    getuid() == 0 && ipPath != nil
      && FileManager.default.fileExists(atPath: "/dev/net/tun")
  }()

  /// The absolute path of `ip` (iproute2), if installed.
  static let ipPath: String? = {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }()

  /// The absolute path of `ip`, or an error that says to install iproute2.
  static func ip() throws -> String {
    guard let path = ipPath else {
      throw HarnessError("`ip` not found: run scripts/install-deps.sh (iproute2)")
    }
    return path
  }

  /// The package root: the first ancestor of this source file that holds a `Package.swift`.
  static func packageRoot(filePath: String = #filePath) -> URL? {
    var dir = URL(fileURLWithPath: filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
        return dir
      }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }

  /// The `meshd` binary to test: `$MESHD_BIN` if set, else `<package root>/.build/debug/meshd`.
  ///
  /// Throws a clear "build meshd first" error when the binary does not exist.
  static func meshdBinary() throws -> String {
    if let fromEnv = ProcessInfo.processInfo.environment["MESHD_BIN"], !fromEnv.isEmpty {
      guard FileManager.default.isExecutableFile(atPath: fromEnv) else {
        throw HarnessError("MESHD_BIN=\(fromEnv) is not an executable file")
      }
      return fromEnv
    }
    guard let root = packageRoot() else {
      throw HarnessError("cannot find the package root above \(#filePath); set MESHD_BIN")
    }
    let path = root.appendingPathComponent(".build/debug/meshd").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw HarnessError("build meshd first: swift build (no executable at \(path))")
    }
    return path
  }

  /// Whether the harness keeps its work directories (logs, captures) after a run:
  /// set `MESHD_IT_KEEP=1` to inspect them.
  static let keepWorkDirectories: Bool =
    ProcessInfo.processInfo.environment["MESHD_IT_KEEP"] == "1"
}
