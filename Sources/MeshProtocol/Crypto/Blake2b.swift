import CSodium

/// BLAKE2b (RFC 7693) through libsodium's `crypto_generichash`: Noise's hash function
/// (64-byte output), the peer-ID hash, and, in keyed mode, the mac1/mac2 handshake MACs.
public enum Blake2b {
  /// The full output length, Noise's HASHLEN.
  public static let maxOutputLength = 64
  /// The shortest output libsodium allows.
  public static let minOutputLength = 16
  /// The longest key keyed mode allows.
  public static let maxKeyLength = 64
  /// The shortest non-empty key keyed mode allows.
  public static let minKeyLength = 16

  /// The unkeyed hash of the concatenation of `data` (each part is hashed in turn, with no
  /// copy into one buffer). `outputLength` must be 16...64.
  public static func hash(_ data: [UInt8]..., outputLength: Int = 64) -> [UInt8] {
    digest(key: [], parts: data, outputLength: outputLength)
  }

  /// The unkeyed hash of a list of parts, for callers that build the list at run time.
  public static func hash(parts: [[UInt8]], outputLength: Int = 64) -> [UInt8] {
    digest(key: [], parts: parts, outputLength: outputLength)
  }

  /// Keyed BLAKE2b (BLAKE2b's own MAC mode, as WireGuard's mac1/mac2) of the concatenation of
  /// `data`. `key` must be 16...64 bytes; `outputLength` 16...64.
  public static func mac(key: [UInt8], data: [UInt8]..., outputLength: Int = 16) -> [UInt8] {
    precondition(
      (minKeyLength...maxKeyLength).contains(key.count), "BLAKE2b key must be 16...64 bytes")
    return digest(key: key, parts: data, outputLength: outputLength)
  }

  /// Keyed BLAKE2b over raw bytes, e.g. a prefix of a received datagram, with no copy.
  public static func mac(
    key: [UInt8], data: UnsafeRawBufferPointer, outputLength: Int = 16
  ) -> [UInt8] {
    precondition(
      (minKeyLength...maxKeyLength).contains(key.count), "BLAKE2b key must be 16...64 bytes")
    precondition(
      (minOutputLength...maxOutputLength).contains(outputLength), "bad BLAKE2b output length")
    Sodium.ensureInitialized()
    return withState(key: key, outputLength: outputLength) { state in
      if let base = data.baseAddress, data.count > 0 {
        _ = csodium_generichash_update(state, base, data.count)
      }
    }
  }

  /// Keyed BLAKE2b of `data` under `key` (16...64 bytes), written into `out` (16...64 bytes,
  /// its length the output length): no copy and no allocation, for the handshake path that a
  /// flood exercises.
  public static func mac(
    key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer,
    into out: UnsafeMutableRawBufferPointer
  ) {
    precondition(
      (minKeyLength...maxKeyLength).contains(key.count), "BLAKE2b key must be 16...64 bytes")
    precondition(
      (minOutputLength...maxOutputLength).contains(out.count), "bad BLAKE2b output length")
    Sodium.ensureInitialized()
    withUnsafeTemporaryAllocation(byteCount: crypto_generichash_statebytes(), alignment: 64) {
      state in
      let statePointer = state.baseAddress!
      _ = csodium_generichash_init(statePointer, key.baseAddress, key.count, out.count)
      if let base = data.baseAddress, data.count > 0 {
        _ = csodium_generichash_update(statePointer, base, data.count)
      }
      _ = csodium_generichash_final(statePointer, out.baseAddress!, out.count)
      Sodium.memzero(state)
    }
  }

  /// Hashes `parts` in order, optionally keyed.
  private static func digest(key: [UInt8], parts: [[UInt8]], outputLength: Int) -> [UInt8] {
    precondition(
      (minOutputLength...maxOutputLength).contains(outputLength), "bad BLAKE2b output length")
    Sodium.ensureInitialized()
    return withState(key: key, outputLength: outputLength) { state in
      for part in parts where !part.isEmpty {
        part.withUnsafeBytes { _ = csodium_generichash_update(state, $0.baseAddress!, $0.count) }
      }
    }
  }

  /// Runs init, `update`, final on a stack-allocated, 64-byte-aligned hash state, which is
  /// zeroed afterwards (it holds the key in keyed mode).
  private static func withState(
    key: [UInt8], outputLength: Int, update: (UnsafeMutableRawPointer) -> Void
  ) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: outputLength)
    withUnsafeTemporaryAllocation(byteCount: crypto_generichash_statebytes(), alignment: 64) {
      state in
      let statePointer = state.baseAddress!
      key.withUnsafeBytes { k in
        _ = csodium_generichash_init(statePointer, k.baseAddress, k.count, outputLength)
      }
      update(statePointer)
      out.withUnsafeMutableBytes { o in
        _ = csodium_generichash_final(statePointer, o.baseAddress!, outputLength)
      }
      Sodium.memzero(state)
    }
    return out
  }
}
