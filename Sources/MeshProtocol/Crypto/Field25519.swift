/// An element of the field of integers modulo p = 2^255 - 19, the field of Curve25519 and
/// Ed25519: just enough arithmetic for XEdDSA to map a Montgomery u coordinate to the Edwards
/// y coordinate, y = (u - 1) / (u + 1). libsodium does not export its field arithmetic.
///
/// Four 64-bit limbs, little-endian, holding any value below 2^256 (not necessarily reduced);
/// `bytes` gives the canonical (fully reduced) encoding. Not constant time: it only ever
/// handles public keys.
struct Field25519: Equatable {
  /// The limbs, least significant first.
  var limbs: SIMD4<UInt64>

  /// The prime p = 2^255 - 19.
  static let p = Field25519(limbs: [0xFFFF_FFFF_FFFF_FFED, .max, .max, 0x7FFF_FFFF_FFFF_FFFF])
  /// Zero.
  static let zero = Field25519(limbs: .zero)
  /// One.
  static let one = Field25519(limbs: [1, 0, 0, 0])

  /// The element with these limbs.
  init(limbs: SIMD4<UInt64>) { self.limbs = limbs }

  /// The 32-byte little-endian number `bytes`, all 256 bits of it (callers that need a
  /// canonical input check `isCanonical(_:)` first).
  init(bytes: some Collection<UInt8>) {
    precondition(bytes.count == 32, "a field element is 32 bytes")
    var limbs = SIMD4<UInt64>.zero
    for (index, byte) in bytes.enumerated() {
      limbs[index / 8] |= UInt64(byte) << UInt64(8 * (index % 8))
    }
    self.limbs = limbs
  }

  /// Whether the 32-byte little-endian number `bytes` is below p.
  static func isCanonical(_ bytes: some Collection<UInt8>) -> Bool {
    Field25519(bytes: bytes).isBelowP
  }

  /// Whether the limbs hold a value below p.
  var isBelowP: Bool {
    for index in (0..<4).reversed() where limbs[index] != Self.p.limbs[index] {
      return limbs[index] < Self.p.limbs[index]
    }
    return false
  }

  /// The canonical 32-byte little-endian encoding (reduced below p).
  var bytes: [UInt8] {
    let value = reduced
    var out = [UInt8](repeating: 0, count: 32)
    for index in 0..<32 {
      out[index] = UInt8(truncatingIfNeeded: value.limbs[index / 8] >> UInt64(8 * (index % 8)))
    }
    return out
  }

  /// The same element with limbs below p (a value below 2^256 = 2p + 38 needs at most two
  /// subtractions of p).
  var reduced: Field25519 {
    var value = self
    while !value.isBelowP { value = value.subtractingWithoutFold(Self.p) }
    return value
  }

  /// `self - other` as 256-bit integers, for `reduced` (the caller knows `self >= other`).
  private func subtractingWithoutFold(_ other: Field25519) -> Field25519 {
    var out = SIMD4<UInt64>.zero
    var borrow = false
    for index in 0..<4 {
      let (d1, b1) = limbs[index].subtractingReportingOverflow(other.limbs[index])
      let (d2, b2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
      out[index] = d2
      borrow = b1 || b2
    }
    return Field25519(limbs: out)
  }

  /// Adds the small `value` (below 2^64) to the limbs; returns the carry out of bit 256.
  private static func addSmall(_ limbs: inout SIMD4<UInt64>, _ value: UInt64) -> Bool {
    var carry = value
    for index in 0..<4 where carry != 0 {
      let (sum, overflow) = limbs[index].addingReportingOverflow(carry)
      limbs[index] = sum
      carry = overflow ? 1 : 0
    }
    return carry != 0
  }

  /// The sum modulo p (2^256 ≡ 38, so a carry out of the top limb folds back as 38).
  static func + (a: Field25519, b: Field25519) -> Field25519 {
    var out = SIMD4<UInt64>.zero
    var carry = false
    for index in 0..<4 {
      let (s1, c1) = a.limbs[index].addingReportingOverflow(b.limbs[index])
      let (s2, c2) = s1.addingReportingOverflow(carry ? 1 : 0)
      out[index] = s2
      carry = c1 || c2
    }
    while carry { carry = addSmall(&out, 38) }
    return Field25519(limbs: out)
  }

  /// The difference modulo p (a borrow out of the top limb means 2^256 too much: take 38 off).
  static func - (a: Field25519, b: Field25519) -> Field25519 {
    var out = SIMD4<UInt64>.zero
    var borrow = false
    for index in 0..<4 {
      let (d1, b1) = a.limbs[index].subtractingReportingOverflow(b.limbs[index])
      let (d2, b2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
      out[index] = d2
      borrow = b1 || b2
    }
    while borrow {
      borrow = false
      var take: UInt64 = 38
      for index in 0..<4 where take != 0 {
        let (d, b) = out[index].subtractingReportingOverflow(take)
        out[index] = d
        take = b ? 1 : 0
      }
      borrow = take != 0
    }
    return Field25519(limbs: out)
  }

  /// The product modulo p: a 512-bit schoolbook product, then the high half times 38 folded
  /// into the low half.
  static func * (a: Field25519, b: Field25519) -> Field25519 {
    let (a0, a1, a2, a3) = (a.limbs[0], a.limbs[1], a.limbs[2], a.limbs[3])
    let (b0, b1, b2, b3) = (b.limbs[0], b.limbs[1], b.limbs[2], b.limbs[3])
    // Row by row: w[i + j] += a[i] · b[j], carries rippling along each row.
    var w0: UInt64 = 0
    var w1: UInt64 = 0
    var w2: UInt64 = 0
    var w3: UInt64 = 0
    var w4: UInt64 = 0
    var w5: UInt64 = 0
    var w6: UInt64 = 0
    var w7: UInt64 = 0
    @inline(__always) func step(_ x: UInt64, _ y: UInt64, _ w: inout UInt64, _ carry: inout UInt64)
    {
      let product = UInt128(x) * UInt128(y) + UInt128(w) + UInt128(carry)
      w = UInt64(truncatingIfNeeded: product)
      carry = UInt64(truncatingIfNeeded: product >> 64)
    }
    var c: UInt64 = 0
    step(a0, b0, &w0, &c)
    step(a0, b1, &w1, &c)
    step(a0, b2, &w2, &c)
    step(a0, b3, &w3, &c)
    w4 = c
    c = 0
    step(a1, b0, &w1, &c)
    step(a1, b1, &w2, &c)
    step(a1, b2, &w3, &c)
    step(a1, b3, &w4, &c)
    w5 = c
    c = 0
    step(a2, b0, &w2, &c)
    step(a2, b1, &w3, &c)
    step(a2, b2, &w4, &c)
    step(a2, b3, &w5, &c)
    w6 = c
    c = 0
    step(a3, b0, &w3, &c)
    step(a3, b1, &w4, &c)
    step(a3, b2, &w5, &c)
    step(a3, b3, &w6, &c)
    w7 = c
    // Fold: 2^256 ≡ 38.
    var out = SIMD4<UInt64>.zero
    var carry: UInt128 = 0
    for (index, (low, high)) in [(w0, w4), (w1, w5), (w2, w6), (w3, w7)].enumerated() {
      let value = UInt128(low) + UInt128(high) * 38 + carry
      out[index] = UInt64(truncatingIfNeeded: value)
      carry = value >> 64
    }
    // carry < 39: fold carry · 2^256 ≡ carry · 38, then any last carry once more.
    if addSmall(&out, UInt64(carry) * 38) { _ = addSmall(&out, 38) }
    return Field25519(limbs: out)
  }

  /// `self` squared `count` times.
  func squared(times count: Int) -> Field25519 {
    var value = self
    for _ in 0..<count { value = value * value }
    return value
  }

  /// The multiplicative inverse, self^(p-2) (Fermat), by the usual addition chain for
  /// p - 2 = 2^255 - 21 (254 squarings, 11 multiplications); zero maps to zero.
  var inverse: Field25519 {
    let z2 = self * self
    let z9 = z2.squared(times: 2) * self
    let z11 = z9 * z2
    let z5 = (z11 * z11) * z9  // z^(2^5 - 1)
    let z10 = z5.squared(times: 5) * z5  // z^(2^10 - 1)
    let z20 = z10.squared(times: 10) * z10
    let z40 = z20.squared(times: 20) * z20
    let z50 = z40.squared(times: 10) * z10
    let z100 = z50.squared(times: 50) * z50
    let z200 = z100.squared(times: 100) * z100
    let z250 = z200.squared(times: 50) * z50  // z^(2^250 - 1)
    return z250.squared(times: 5) * z11  // z^(2^255 - 32 + 11)
  }
}
