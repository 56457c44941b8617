import Foundation

/// Key and secret files for tests that need identities before the daemons start, and
/// rewrites that keep mode 0600 and are atomic (temporary file, then rename), as an operator
/// rotating a secret must do.
enum SecretFiles {
  /// Writes `text` to `url` atomically with mode 0600.
  static func writePrivate(_ text: String, to url: URL) throws {
    let tmp = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp")
    guard
      FileManager.default.createFile(
        atPath: tmp.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    else { throw HarnessError("cannot write \(tmp.path)") }
    guard chmod(tmp.path, 0o600) == 0, rename(tmp.path, url.path) == 0 else {
      throw HarnessError("cannot replace \(url.path): errno \(errno)")
    }
  }

  /// Creates `host`'s identity in the state directory `MeshdProcess` will use, and returns
  /// its base64 public key.
  static func makeIdentity(for host: NetnsHost, in net: TestNetwork) throws -> String {
    let meshd = try IntegrationEnvironment.meshdBinary()
    let key = try Shell.run([meshd, "genkey"], timeout: 10).check().stdout
    let dir = net.workDirectory.appendingPathComponent("state\(host.index)")
    try FileManager.default.createDirectory(
      at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    try writePrivate(key, to: dir.appendingPathComponent("private.key"))
    return try publicKey(ofPrivate: key)
  }

  /// `meshd pubkey` of a base64 private key.
  static func publicKey(ofPrivate key: String) throws -> String {
    let meshd = try IntegrationEnvironment.meshdBinary()
    return try Shell.run([meshd, "pubkey"], stdin: key, timeout: 10).check().stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The text of a file, or "" if unreadable.
  static func read(_ url: URL) -> String {
    (try? String(contentsOf: url, encoding: .utf8)) ?? ""
  }
}
