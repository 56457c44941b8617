/// HMAC (RFC 2104) over unkeyed 64-byte BLAKE2b with its 128-byte block, and the HKDF that
/// Noise builds on it (Noise spec section 4.3).
///
/// This is deliberately not BLAKE2b's keyed mode: Noise defines HMAC-HASH generically, and
/// using keyed BLAKE2b instead would not interoperate with any other Noise implementation.
public enum HMACBlake2b {
  /// BLAKE2b's block length in bytes, the HMAC pad length.
  public static let blockLength = 128
  /// The MAC length in bytes (full BLAKE2b output, Noise's HASHLEN).
  public static let macLength = 64

  /// HMAC-BLAKE2b of the concatenation of `data` under `key` (a key longer than a block is
  /// hashed first, as RFC 2104 says).
  public static func mac(key: [UInt8], data: [UInt8]...) -> [UInt8] {
    mac(key: key, parts: data)
  }

  /// HMAC-BLAKE2b of a list of parts, for callers that build the list at run time.
  public static func mac(key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
    var block = key.count > blockLength ? Blake2b.hash(key) : key
    block.append(contentsOf: repeatElement(0, count: blockLength - block.count))
    var innerPad = block.map { $0 ^ 0x36 }
    var outerPad = block.map { $0 ^ 0x5c }
    var inner = Blake2b.hash(parts: [innerPad] + parts)
    let outer = Blake2b.hash(outerPad, inner)
    Sodium.memzero(&block)
    Sodium.memzero(&innerPad)
    Sodium.memzero(&outerPad)
    Sodium.memzero(&inner)
    return outer
  }

  /// Noise's HKDF(chaining_key, input_key_material, num_outputs): two or three 64-byte
  /// outputs, the first usually the next chaining key. Callers truncate an output to 32
  /// bytes where Noise uses it as a cipher key.
  public static func hkdf(chainingKey: [UInt8], input: [UInt8], outputs: Int) -> [[UInt8]] {
    precondition(outputs == 2 || outputs == 3, "Noise HKDF gives 2 or 3 outputs")
    var tempKey = mac(key: chainingKey, data: input)
    var results: [[UInt8]] = []
    var previous: [UInt8] = []
    for index in 1...outputs {
      previous = mac(key: tempKey, data: previous, [UInt8(index)])
      results.append(previous)
    }
    Sodium.memzero(&tempKey)
    return results
  }
}
