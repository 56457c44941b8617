import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// Conversion between ``Endpoint`` and the kernel's `sockaddr_in`/`sockaddr_in6`, in place in a
/// caller's `sockaddr_storage`, so the per-packet path never allocates.
extension Endpoint {
  /// Writes this endpoint into `storage` and returns the address length. With `asIPv6`, an
  /// IPv4 endpoint is written as an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), for an
  /// AF_INET6 socket; an IPv6 endpoint always needs an AF_INET6 socket.
  @inlinable
  public func write(to storage: UnsafeMutablePointer<sockaddr_storage>, asIPv6: Bool = false)
    -> socklen_t
  {
    let raw = UnsafeMutableRawPointer(storage)
    switch address {
    case .v4(let a) where !asIPv6:
      raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<sockaddr_in>.size)
      raw.storeBytes(of: sa_family_t(AF_INET), as: sa_family_t.self)
      raw.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
      raw.storeBytes(of: a.bigEndian, toByteOffset: 4, as: UInt32.self)
      return socklen_t(MemoryLayout<sockaddr_in>.size)
    case .v4(let a):
      return Endpoint(address: .v6(0, 0xFFFF_0000_0000 | UInt64(a)), port: port)
        .write(to: storage, asIPv6: true)
    case .v6(let hi, let lo):
      raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<sockaddr_in6>.size)
      raw.storeBytes(of: sa_family_t(AF_INET6), as: sa_family_t.self)
      raw.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
      raw.storeBytes(of: hi.bigEndian, toByteOffset: 8, as: UInt64.self)
      raw.storeBytes(of: lo.bigEndian, toByteOffset: 16, as: UInt64.self)
      return socklen_t(MemoryLayout<sockaddr_in6>.size)
    }
  }

  /// Reads an endpoint from a `sockaddr_in` or `sockaddr_in6` of `length` bytes; an
  /// IPv4-mapped IPv6 address becomes an IPv4 endpoint. Nil for other families or short
  /// lengths.
  @inlinable
  public init?(reading storage: UnsafePointer<sockaddr_storage>, length: socklen_t) {
    let raw = UnsafeRawPointer(storage)
    guard length >= 2 else { return nil }
    let family = Int32(raw.load(as: sa_family_t.self))
    let port = UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    if family == AF_INET, Int(length) >= MemoryLayout<sockaddr_in>.size {
      let a = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
      self.init(address: .v4(a), port: port)
    } else if family == AF_INET6, Int(length) >= MemoryLayout<sockaddr_in6>.size {
      let hi = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
      let lo = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
      if hi == 0, lo >> 32 == 0xFFFF {
        self.init(address: .v4(UInt32(truncatingIfNeeded: lo)), port: port)
      } else {
        self.init(address: .v6(hi, lo), port: port)
      }
    } else {
      return nil
    }
  }
}
