import ArgumentParser
import MeshCore
import MeshIO

#if canImport(Glibc)
  import Glibc
#endif

/// `meshd genkey`: prints a new private key.
struct GenKey: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "genkey", abstract: "Print a new base64 X25519 private key.")

  func run() throws {
    print(PrivateKey.generate().base64)
  }
}

/// `meshd pubkey`: reads a private key on stdin and prints its public key.
struct PubKey: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pubkey", abstract: "Read a private key on stdin; print its public key.")

  func run() throws {
    let text = try readSecretFromStdin()
    guard let key = try? PrivateKey(base64: text) else {
      throw CLIError("stdin: not a base64 X25519 private key (expected 44 characters)")
    }
    print(key.publicKey.base64)
  }
}

/// `meshd gen-operator-key`: prints a new operator key (Ed25519 seed), the one an operator
/// signs tombstones with (`meshd release-subnet --operator-key-file`).
struct GenOperatorKey: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gen-operator-key",
    abstract:
      "Print a new base64 operator key: hosts started with its public key (--operator-key) accept the releases it signs."
  )

  func run() throws {
    print(OperatorKey.generate().base64)
  }
}

/// `meshd operator-pubkey`: reads an operator key on stdin and prints its public key, the
/// value for `meshd up --operator-key`.
struct OperatorPubKey: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "operator-pubkey",
    abstract: "Read an operator key on stdin; print its public key (for meshd up --operator-key).")

  func run() throws {
    let text = try readSecretFromStdin()
    guard let key = try? OperatorKey(base64: text) else {
      throw CLIError("stdin: not a base64 operator key (expected 44 characters)")
    }
    print(key.publicKey.base64)
  }
}

/// Reads at most 4 KiB of key text from standard input into buffers sized up front, zeroed
/// after use (the text itself ends up in a `String`, which cannot be zeroed).
func readSecretFromStdin() throws -> String {
  var input: [UInt8] = []
  input.reserveCapacity(4096 + 2 * 256)
  var chunk = [UInt8](repeating: 0, count: 256)
  defer {
    Sodium.memzero(&input)
    Sodium.memzero(&chunk)
  }
  while input.count <= 4096 {
    let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
    if n < 0, errno == EINTR { continue }
    if n <= 0 { break }
    input += chunk[0..<n]
  }
  return SecureFile.text(input)
}

/// `meshd gen-secret`: prints a new cluster secret.
struct GenSecret: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gen-secret",
    abstract: "Print a new base64 32-byte cluster secret (store it with mode 0600).")

  func run() throws {
    print(SymmetricKey.generate().base64)
  }
}
