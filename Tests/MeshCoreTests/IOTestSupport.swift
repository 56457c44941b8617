import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO

/// Root suites need uid 0 and a usable /dev/net/tun; CI and the project machines have both.
let ioCanCreateTap: Bool = getuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0

/// Runs `ip ARGS` (tests only; the library never shells out) and returns its standard output.
@discardableResult
func ioRunIP(_ arguments: [String]) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["ip"] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw SystemError(call: "ip \(arguments.joined(separator: " "))", errno: EIO)
  }
  return String(decoding: data, as: UTF8.self)
}

/// Creates a fresh `mshio-*` network namespace, passes its name to `body`, and deletes the
/// namespace afterwards, also when `body` throws.
func withTestNamespace<T>(_ body: (String) throws -> T) throws -> T {
  let name = "mshio-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
  try ioRunIP(["netns", "add", name])
  defer { _ = try? ioRunIP(["netns", "del", name]) }
  return try body(name)
}

/// Creates a fresh namespace and runs `body` on a dedicated thread inside it.
func withNetworkNamespace<T>(_ body: (String) throws -> T) throws -> T {
  try withTestNamespace { name in
    try NetworkNamespace.run(path: NetworkNamespace.path(named: name)) { try body(name) }
  }
}
