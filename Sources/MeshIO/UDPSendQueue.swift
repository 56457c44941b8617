import CMeshShim
import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// Datagrams waiting to leave together, without being copied.
///
/// The queue does not own the bytes: ``append(_:to:)`` records where a datagram already lies
/// (typically sealed in place in a read buffer), and the caller keeps that memory unchanged
/// until ``flush(on:)``. A flush sends everything with `sendmmsg`; with ``segmentation`` on,
/// consecutive datagrams of one size for one endpoint go as one UDP_SEGMENT (generic
/// segmentation offload) message, which the kernel carries through the stack as one packet
/// and cuts into datagrams only at the device, or not at all when the receiver coalesces
/// them again. Header, vector and control storage is allocated once, in `init`, so queueing
/// and flushing do not allocate. One thread at a time.
public final class UDPSendQueue: @unchecked Sendable {
  /// The most datagrams the queue holds before it must be flushed.
  public let capacity: Int
  /// The most datagrams the kernel takes in one segmented message (UDP_MAX_SEGMENTS).
  public static let maxSegments = 64
  /// Whether to coalesce same-sized datagrams into UDP_SEGMENT messages. Set it only where
  /// ``UDPSocket/probeSegmentationOffload()`` said yes; a flush turns it off for good if the
  /// kernel refuses a segmented message after all (and sends those datagrams one by one).
  public var segmentation = false
  /// The largest datagram coalesced: a segment must fit the path MTU, because the kernel
  /// does not fragment segments. Larger datagrams leave one per message.
  public var maxSegmentSize = 1400
  /// How many datagrams are queued.
  public private(set) var count = 0

  private let vectors: UnsafeMutablePointer<iovec>
  private var endpoints: [Endpoint]
  private let headers: UnsafeMutablePointer<cmesh_mmsghdr>
  private let addresses: UnsafeMutablePointer<sockaddr_storage>
  private let controls: UnsafeMutableRawPointer
  /// For message `m` of the current flush, the index of its first datagram.
  private var firstEntry: [Int]

  /// Creates an empty queue for up to `capacity` datagrams.
  public init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
    vectors = .allocate(capacity: capacity)
    vectors.initialize(repeating: iovec(), count: capacity)
    endpoints = [Endpoint](repeating: Endpoint(address: .v4(0), port: 0), count: capacity)
    headers = .allocate(capacity: capacity)
    headers.initialize(repeating: cmesh_mmsghdr(), count: capacity)
    addresses = .allocate(capacity: capacity)
    addresses.initialize(repeating: sockaddr_storage(), count: capacity)
    controls = .allocate(byteCount: capacity * Int(CMESH_UDP_CMSG_SPACE), alignment: 8)
    firstEntry = [Int](repeating: 0, count: capacity + 1)
  }

  deinit {
    vectors.deallocate()
    headers.deallocate()
    addresses.deallocate()
    controls.deallocate()
  }

  /// Whether another datagram fits.
  public var isFull: Bool { count == capacity }

  /// Queues `datagram` for `endpoint`. The bytes are not copied: they must stay valid and
  /// unchanged until the next ``flush(on:)``. The queue must not be full.
  public func append(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    precondition(count < capacity, "flush a full UDPSendQueue before appending")
    vectors[count] = iovec(
      iov_base: UnsafeMutableRawPointer(mutating: datagram.baseAddress), iov_len: datagram.count)
    endpoints[count] = endpoint
    count += 1
  }

  /// Queued datagram `index`'s bytes (for sockets that are not kernel sockets).
  public func datagram(at index: Int) -> UnsafeRawBufferPointer {
    precondition(index >= 0 && index < count)
    return UnsafeRawBufferPointer(start: vectors[index].iov_base, count: vectors[index].iov_len)
  }

  /// Queued datagram `index`'s destination.
  public func endpoint(at index: Int) -> Endpoint {
    precondition(index >= 0 && index < count)
    return endpoints[index]
  }

  /// Sends every queued datagram, in order, and empties the queue. Returns how many were
  /// not sent: those that found a non-blocking socket's buffer full, and any the kernel
  /// refused outright (an unreachable address, say), which are skipped so that one bad
  /// destination does not hold back the rest.
  @discardableResult
  public func flush(on socket: UDPSocket) -> Int {
    let total = count
    count = 0
    var unsent = 0
    var from = 0
    while from < total {
      let messages = buildMessages(from: from, to: total, asIPv6: socket.isIPv6)
      var m = 0
      var refusedSegmented = false
      while m < messages {
        let fd = socket.fd
        let start = headers + m
        let remaining = UInt32(messages - m)
        do {
          guard
            let n = try Syscall.runNonBlocking(
              "sendmmsg", { cmesh_sendmmsg(fd, start, remaining, Syscall.noSignal) })
          else {
            unsent += total - firstEntry[m]
            return unsent
          }
          m += Int(n)
        } catch {
          // sendmmsg fails only when its first message cannot go.
          if headers[m].msg_hdr.msg_iovlen > 1 {
            refusedSegmented = true
            break
          }
          unsent += 1
          m += 1
        }
      }
      if refusedSegmented {
        // The kernel would not segment after all: from here on, one datagram per message.
        segmentation = false
        from = firstEntry[m]
      } else {
        from = total
      }
    }
    return unsent
  }

  /// Fills `headers` with messages for datagrams `from..<to`, coalescing runs when
  /// ``segmentation`` is on, and returns how many messages there are.
  private func buildMessages(from: Int, to: Int, asIPv6: Bool) -> Int {
    var m = 0
    var i = from
    while i < to {
      let size = vectors[i].iov_len
      var end = i + 1
      if segmentation && size <= maxSegmentSize && size > 0 {
        // A run: the same endpoint, the same size; the last one may be shorter.
        while end < to, end - i < UDPSendQueue.maxSegments, endpoints[end] == endpoints[i] {
          let next = vectors[end].iov_len
          if next > size || next == 0 { break }
          end += 1
          if next < size { break }
        }
      }
      let length = endpoints[i].write(to: addresses + m, asIPv6: asIPv6)
      var header = msghdr()
      header.msg_name = UnsafeMutableRawPointer(addresses + m)
      header.msg_namelen = length
      header.msg_iov = vectors + i
      header.msg_iovlen = end - i
      let segments = end - i
      cmesh_msg_set_segment(
        &header, controls + m * Int(CMESH_UDP_CMSG_SPACE), segments > 1 ? UInt16(size) : 0)
      headers[m] = cmesh_mmsghdr(msg_hdr: header, msg_len: 0)
      firstEntry[m] = i
      m += 1
      i = end
    }
    firstEntry[m] = to
    return m
  }

  /// Forgets every queued datagram without sending it.
  public func removeAll() { count = 0 }
}
