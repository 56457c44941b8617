import CMeshShim

#if canImport(Glibc)
  import Glibc
#endif

/// Datagrams waiting to leave together in one `sendmmsg`, without being copied.
///
/// Unlike ``UDPMessageBatch``, the queue does not own the bytes: ``append(_:to:)`` records
/// where a datagram already lies (typically sealed in place in a read buffer), and the caller
/// keeps that memory unchanged until ``flush(on:)``. The message headers and address slots
/// are allocated once, in `init`, so queueing and flushing do not allocate. One thread at a
/// time.
public final class UDPSendQueue: @unchecked Sendable {
  /// The most datagrams the queue holds before it must be flushed.
  public let capacity: Int
  /// How many datagrams are queued.
  public private(set) var count = 0
  private let headers: UnsafeMutablePointer<cmesh_mmsghdr>
  private let vectors: UnsafeMutablePointer<iovec>
  private let addresses: UnsafeMutablePointer<sockaddr_storage>

  /// Creates an empty queue for up to `capacity` datagrams.
  public init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
    headers = .allocate(capacity: capacity)
    headers.initialize(repeating: cmesh_mmsghdr(), count: capacity)
    vectors = .allocate(capacity: capacity)
    vectors.initialize(repeating: iovec(), count: capacity)
    addresses = .allocate(capacity: capacity)
    addresses.initialize(repeating: sockaddr_storage(), count: capacity)
  }

  deinit {
    headers.deallocate()
    vectors.deallocate()
    addresses.deallocate()
  }

  /// Whether another datagram fits.
  public var isFull: Bool { count == capacity }

  /// Queues `datagram` for `endpoint`, written as an IPv4-mapped address when the socket is
  /// IPv6 (`asIPv6`). The bytes are not copied: they must stay valid and unchanged until the
  /// next ``flush(on:)``. The queue must not be full.
  public func append(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint, asIPv6: Bool) {
    precondition(count < capacity, "flush a full UDPSendQueue before appending")
    let slot = addresses + count
    let addressLength = endpoint.write(to: slot, asIPv6: asIPv6)
    vectors[count] = iovec(
      iov_base: UnsafeMutableRawPointer(mutating: datagram.baseAddress), iov_len: datagram.count)
    var header = msghdr()
    header.msg_name = UnsafeMutableRawPointer(slot)
    header.msg_namelen = addressLength
    header.msg_iov = vectors + count
    header.msg_iovlen = 1
    headers[count] = cmesh_mmsghdr(msg_hdr: header, msg_len: 0)
    count += 1
  }

  /// Sends every queued datagram, in order, with as few `sendmmsg` calls as the kernel
  /// allows, and empties the queue. Returns how many were not sent: those that found a
  /// non-blocking socket's buffer full, and any the kernel refused outright (an unreachable
  /// address, say), which are skipped so that one bad destination does not hold back the rest.
  @discardableResult
  public func flush(on socket: UDPSocket) -> Int {
    let total = count
    count = 0
    let fd = socket.fd
    var next = 0
    var unsent = 0
    while next < total {
      let start = headers + next
      let remaining = UInt32(total - next)
      do {
        guard
          let n = try Syscall.runNonBlocking(
            "sendmmsg", { cmesh_sendmmsg(fd, start, remaining, Syscall.noSignal) })
        else {
          unsent += total - next
          break
        }
        next += Int(n)
      } catch {
        // sendmmsg fails only when its first message cannot go: skip that one.
        next += 1
        unsent += 1
      }
    }
    return unsent
  }

  /// Forgets every queued datagram without sending it.
  public func removeAll() { count = 0 }
}
