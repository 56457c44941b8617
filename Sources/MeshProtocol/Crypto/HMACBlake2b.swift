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
    key.withUnsafeBytes { mac(rawKey: $0, parts: parts) }
  }

  /// `mac` with the key read in place, e.g. from a chaining key's `SecureBytes`. Every
  /// working copy of key material (the padded key block, the pads, the inner hash) is zeroed
  /// before it is dropped.
  static func mac(rawKey key: UnsafeRawBufferPointer, parts: [[UInt8]]) -> [UInt8] {
    var block = [UInt8](repeating: 0, count: blockLength)
    if key.count > blockLength {
      var long = [UInt8](key)
      var hashed = Blake2b.hash(long)
      block.withUnsafeMutableBytes { b in hashed.withUnsafeBytes { b.copyMemory(from: $0) } }
      Sodium.memzero(&long)
      Sodium.memzero(&hashed)
    } else if key.count > 0 {
      block.withUnsafeMutableBytes { $0.copyMemory(from: key) }
    }
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
  /// bytes where Noise uses it as a cipher key, and zero the outputs when done.
  public static func hkdf(chainingKey: [UInt8], input: [UInt8], outputs: Int) -> [[UInt8]] {
    chainingKey.withUnsafeBytes { hkdf(rawChainingKey: $0, input: input, outputs: outputs) }
  }

  /// `hkdf` with the chaining key read in place from its storage. The temporary key is zeroed;
  /// the outputs are returned as uniquely referenced arrays, so the caller's
  /// `Sodium.memzero(&outputs[i])` zeroes each one in place.
  static func hkdf(
    rawChainingKey: UnsafeRawBufferPointer, input: [UInt8], outputs: Int
  ) -> [[UInt8]] {
    precondition(outputs == 2 || outputs == 3, "Noise HKDF gives 2 or 3 outputs")
    var tempKey = mac(rawKey: rawChainingKey, parts: [input])
    var results: [[UInt8]] = []
    results.reserveCapacity(outputs)
    for index in 1...outputs {
      let previous = results.last ?? []
      results.append(mac(key: tempKey, data: previous, [UInt8(index)]))
    }
    Sodium.memzero(&tempKey)
    return results
  }
}
