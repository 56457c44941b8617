import Foundation
import MeshCore

/// Hex helpers shared by the crypto and Noise tests.
enum Hex {
  /// Lower-case hex of `bytes`.
  static func encode(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
  }

  /// Bytes of an even-length hex string; nil when malformed.
  static func decode(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var index = 0
    while index < chars.count {
      guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else {
        return nil
      }
      out.append(high << 4 | low)
      index += 2
    }
    return out
  }

  private static func nibble(_ char: UInt8) -> UInt8? {
    switch char {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return char - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return char - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}

/// A repeatable RandomSource (SplitMix64) so tests that need "random" keys are stable.
struct SeededRandom: RandomSource {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next64() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for index in 0..<buffer.count {
      buffer[index] = UInt8(truncatingIfNeeded: next64())
    }
  }
}

/// Where the package lives and where shared, out-of-tree fixtures are looked for.
enum TestPaths {
  /// The package root: the nearest directory above this file that holds Package.swift.
  static func packageRoot(filePath: String = #filePath) -> URL {
    var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
    while directory.path != "/" {
      let manifest = directory.appendingPathComponent("Package.swift").path
      if FileManager.default.fileExists(atPath: manifest) { return directory }
      directory = directory.deletingLastPathComponent()
    }
    // Fall back to the conventional layout: Tests/MeshCoreTests/<file>.
    return URL(fileURLWithPath: filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  }

  /// The Noise vector file: `$MESHD_VECTORS` (a file, or a directory holding it), else the
  /// copy in the repository, `Tests/MeshCoreTests/Fixtures/noise-25519-chachapoly-blake2b.json`.
  static func noiseVectors() -> URL {
    let fileName = "noise-25519-chachapoly-blake2b.json"
    if let override = ProcessInfo.processInfo.environment["MESHD_VECTORS"], !override.isEmpty {
      var isDirectory: ObjCBool = false
      let url = URL(fileURLWithPath: override)
      if FileManager.default.fileExists(atPath: override, isDirectory: &isDirectory),
        isDirectory.boolValue
      {
        return url.appendingPathComponent(fileName)
      }
      return url
    }
    return packageRoot().appendingPathComponent("Tests/MeshCoreTests/Fixtures/\(fileName)")
      .standardizedFileURL
  }
}
