import Foundation

/// The other side of a Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b handshake, played by Python's
/// `noiseprotocol` (an independent implementation from PyPI) in a child process.
///
/// Line protocol over stdin/stdout, one command per line, bytes as hex:
/// `W <payload>` writes a handshake message, `R <message>` reads one and answers the payload,
/// `E <plaintext>` / `D <ciphertext>` use the transport ciphers, `H` answers the handshake
/// hash, `Q` quits. Answers are `OK <hex>` or `ERR <description>`.
final class NoisePythonPeer {
  /// The helper script; written to a temporary file for each run.
  static let script = #"""
    import sys
    from noise.connection import NoiseConnection, Keypair

    def main():
        role, static_hex, psk_hex, prologue_hex = sys.argv[1:5]
        conn = NoiseConnection.from_name(b"Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b")
        if role == "initiator":
            conn.set_as_initiator()
        else:
            conn.set_as_responder()
        conn.set_keypair_from_private_bytes(Keypair.STATIC, bytes.fromhex(static_hex))
        conn.set_psks(psk=bytes.fromhex(psk_hex))
        conn.set_prologue(bytes.fromhex(prologue_hex))
        conn.start_handshake()
        for line in sys.stdin:
            parts = line.split()
            if not parts:
                continue
            command = parts[0]
            data = bytes.fromhex(parts[1]) if len(parts) > 1 else b""
            try:
                if command == "W":
                    result = conn.write_message(data)
                elif command == "R":
                    result = conn.read_message(data)
                elif command == "E":
                    result = conn.encrypt(data)
                elif command == "D":
                    result = conn.decrypt(data)
                elif command == "H":
                    result = conn.get_handshake_hash()
                elif command == "Q":
                    break
                else:
                    raise ValueError("unknown command " + command)
                sys.stdout.write("OK " + bytes(result).hex() + "\n")
            except Exception as exc:
                text = (type(exc).__name__ + ": " + str(exc)).replace("\n", " ")
                sys.stdout.write("ERR " + text + "\n")
            sys.stdout.flush()

    main()
    """#

  /// A failure reported by the peer or by the process.
  struct PeerError: Error, CustomStringConvertible {
    let description: String
  }

  /// The interpreter: `$MESHD_PYTHON`, else `python3` from PATH.
  static var pythonArguments: [String] {
    let python = ProcessInfo.processInfo.environment["MESHD_PYTHON"] ?? "python3"
    return [python]
  }

  /// Checks that python3 and the `noise` module (pip package `noiseprotocol`) are present;
  /// returns a message saying what is missing, or nil.
  static func availabilityProblem() -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      pythonArguments + [
        "-c",
        "from noise.connection import NoiseConnection; "
          + "NoiseConnection.from_name(b'Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b')",
      ]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      return "cannot start python3 through /usr/bin/env: \(error)"
    }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      return """
        python3 with the 'noiseprotocol' package is required for the Noise cross-check \
        (pip install noiseprotocol; set MESHD_PYTHON to choose the interpreter): \(text)
        """
    }
    return nil
  }

  private let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let errors = Pipe()
  private var buffered = Data()
  private let scriptURL: URL

  /// Starts the peer in `role` ("initiator" or "responder") with its static secret key, the
  /// PSK and the prologue.
  init(role: String, staticKey: [UInt8], psk: [UInt8], prologue: [UInt8]) throws {
    scriptURL = FileManager.default.temporaryDirectory
      .appendingPathComponent("meshd-noise-peer-\(UUID().uuidString).py")
    try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      Self.pythonArguments + [
        scriptURL.path, role, Hex.encode(staticKey), Hex.encode(psk), Hex.encode(prologue),
      ]
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
  }

  deinit {
    if process.isRunning { process.terminate() }
    try? FileManager.default.removeItem(at: scriptURL)
  }

  /// Sends one command and returns the bytes of its `OK` answer; throws on `ERR` or EOF.
  func call(_ command: String, _ bytes: [UInt8] = []) throws -> [UInt8] {
    let line = "\(command) \(Hex.encode(bytes))\n"
    try input.fileHandleForWriting.write(contentsOf: Data(line.utf8))
    let answer = try readLine()
    if answer.hasPrefix("OK") {
      let hex = answer.dropFirst(2).trimmingCharacters(in: .whitespaces)
      guard let value = Hex.decode(hex) else { throw PeerError(description: "bad hex: \(answer)") }
      return value
    }
    throw PeerError(description: answer)
  }

  /// Asks the peer to quit and waits for it.
  func finish() {
    try? input.fileHandleForWriting.write(contentsOf: Data("Q\n".utf8))
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
  }

  private func readLine() throws -> String {
    let handle = output.fileHandleForReading
    while true {
      if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
        let line = buffered[buffered.startIndex..<newline]
        buffered.removeSubrange(buffered.startIndex...newline)
        return String(decoding: line, as: UTF8.self)
      }
      let chunk = handle.availableData
      if chunk.isEmpty {
        process.waitUntilExit()
        let text = String(
          decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        throw PeerError(description: "python peer exited: \(text)")
      }
      buffered.append(chunk)
    }
  }
}
