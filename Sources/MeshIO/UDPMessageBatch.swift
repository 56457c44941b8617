import CMeshShim
import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

/// Pre-allocated storage for batched UDP I/O (`recvmmsg`/`sendmmsg`): `capacity` datagram
/// buffers with their lengths and peer addresses, and the kernel's message headers.
///
/// Everything is allocated once, in `init`; ``UDPSocket/receiveBatch(into:)`` and
/// ``UDPSocket/sendBatch(_:count:)`` then move whole batches with one system call and no
/// allocation. A batch is used by one thread at a time.
public final class UDPMessageBatch: @unchecked Sendable {
  /// The number of datagrams the batch holds.
  public let capacity: Int
  /// The size of each datagram buffer.
  public let bufferSize: Int
  let headers: UnsafeMutablePointer<cmesh_mmsghdr>
  private let vectors: UnsafeMutablePointer<iovec>
  let addresses: UnsafeMutablePointer<sockaddr_storage>
  private let storage: UnsafeMutableRawPointer
  private let controls: UnsafeMutableRawPointer
  private var lengths: [Int]
  private var segmentSizes: [Int]
  private var destinations: [Endpoint]

  /// Allocates `capacity` buffers of `bufferSize` bytes each.
  public init(capacity: Int, bufferSize: Int = 2048) {
    precondition(capacity > 0 && bufferSize > 0)
    self.capacity = capacity
    self.bufferSize = bufferSize
    headers = .allocate(capacity: capacity)
    headers.initialize(repeating: cmesh_mmsghdr(), count: capacity)
    vectors = .allocate(capacity: capacity)
    vectors.initialize(repeating: iovec(), count: capacity)
    addresses = .allocate(capacity: capacity)
    addresses.initialize(repeating: sockaddr_storage(), count: capacity)
    storage = .allocate(byteCount: capacity * bufferSize, alignment: 16)
    controls = .allocate(byteCount: capacity * Int(CMESH_UDP_CMSG_SPACE), alignment: 8)
    lengths = [Int](repeating: 0, count: capacity)
    segmentSizes = [Int](repeating: 0, count: capacity)
    destinations = [Endpoint](
      repeating: Endpoint(address: .v4(0), port: 0), count: capacity)
  }

  deinit {
    headers.deallocate()
    vectors.deallocate()
    addresses.deallocate()
    storage.deallocate()
    controls.deallocate()
  }

  /// The whole buffer of datagram `index`: fill it before sending, read it after receiving.
  public func buffer(at index: Int) -> UnsafeMutableRawBufferPointer {
    precondition(index >= 0 && index < capacity)
    return UnsafeMutableRawBufferPointer(start: storage + index * bufferSize, count: bufferSize)
  }

  /// The length of datagram `index`: received, or set with ``setOutgoing(at:length:to:)``.
  public func length(at index: Int) -> Int { lengths[index] }

  /// The received datagram `index`'s bytes.
  public func datagram(at index: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: buffer(at: index)[0..<lengths[index]])
  }

  /// For received buffer `index`: the size of the datagrams the kernel coalesced into it
  /// (UDP_GRO; each is that long but the last, which may be shorter), or 0 when it holds one
  /// datagram.
  public func segmentSize(at index: Int) -> Int { segmentSizes[index] }

  /// The sender of received datagram `index`, or the destination set for sending.
  public func endpoint(at index: Int) -> Endpoint { destinations[index] }

  /// Marks the first `length` bytes of buffer `index` as a datagram for `endpoint`.
  public func setOutgoing(at index: Int, length: Int, to endpoint: Endpoint) {
    precondition(length >= 0 && length <= bufferSize)
    lengths[index] = length
    destinations[index] = endpoint
  }

  /// Records that buffer `index` received a datagram of `length` bytes from `endpoint`
  /// (or, with `segmentSize`, several coalesced ones): what `recvmmsg` does, for sockets
  /// that are not kernel sockets (tests' in-memory ones).
  public func setReceived(at index: Int, length: Int, from endpoint: Endpoint, segmentSize: Int = 0)
  {
    precondition(length >= 0 && length <= bufferSize)
    lengths[index] = length
    segmentSizes[index] = segmentSize
    destinations[index] = endpoint
  }

  /// Points header `index` at its buffer, length and address slot.
  func prepare(_ index: Int, length: Int, addressLength: socklen_t, receiving: Bool = false) {
    vectors[index] = iovec(iov_base: storage + index * bufferSize, iov_len: length)
    var header = msghdr()
    header.msg_name = UnsafeMutableRawPointer(addresses + index)
    header.msg_namelen = addressLength
    header.msg_iov = vectors + index
    header.msg_iovlen = 1
    if receiving {
      cmesh_msg_expect_gro(&header, controls + index * Int(CMESH_UDP_CMSG_SPACE))
    }
    headers[index] = cmesh_mmsghdr(msg_hdr: header, msg_len: 0)
  }

  /// Records the outcome of receiving into slot `index`; false if the sender is unreadable.
  func completeReceive(_ index: Int) -> Bool {
    let header = headers[index]
    lengths[index] = Int(header.msg_len)
    let segment = Int(cmesh_msg_gro_segment(&headers[index].msg_hdr))
    segmentSizes[index] = segment > 0 && segment < lengths[index] ? segment : 0
    guard let from = Endpoint(reading: addresses + index, length: header.msg_hdr.msg_namelen)
    else { return false }
    destinations[index] = from
    return true
  }
}

extension UDPSocket {
  /// Asks the kernel to coalesce same-sized datagrams from one sender into one receive
  /// (UDP_GRO); ``receiveBatch(into:)`` then reports their size so they can be split again.
  /// Returns false where the kernel has no UDP_GRO; nothing changes then.
  @discardableResult
  public func enableReceiveOffload() -> Bool {
    cmesh_udp_enable_gro(fd) == 0
  }

  /// Whether the kernel takes UDP_SEGMENT messages (generic segmentation offload) on this
  /// socket, so that ``UDPSendQueue/segmentation`` may be turned on.
  public func probeSegmentationOffload() -> Bool {
    cmesh_udp_probe_gso(fd) == 0
  }

  /// Receives up to `batch.capacity` (or `limit`) datagrams with one `recvmmsg`, waiting (on a blocking
  /// socket) only for the first. Returns how many arrived, or nil when the socket is
  /// non-blocking and nothing is waiting. Read them with ``UDPMessageBatch/datagram(at:)``
  /// and ``UDPMessageBatch/endpoint(at:)``.
  public func receiveBatch(into batch: UDPMessageBatch, limit: Int? = nil) throws -> Int? {
    let full = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let wanted = min(limit ?? batch.capacity, batch.capacity)
    guard wanted > 0 else { return 0 }
    for i in 0..<wanted {
      batch.prepare(i, length: batch.bufferSize, addressLength: full, receiving: true)
    }
    let fd = self.fd
    let waitForOne: Int32 = 0x1_0000  // MSG_WAITFORONE
    guard
      let count = try Syscall.runNonBlocking(
        "recvmmsg",
        {
          cmesh_recvmmsg(fd, batch.headers, UInt32(wanted), waitForOne)
        })
    else { return nil }
    for i in 0..<Int(count) where !batch.completeReceive(i) {
      batch.setOutgoing(at: i, length: 0, to: Endpoint(address: .v4(0), port: 0))
    }
    return Int(count)
  }

  /// Sends datagrams `0..<count` of `batch` (set with ``UDPMessageBatch/setOutgoing(at:length:to:)``)
  /// with `sendmmsg` calls and returns how many the kernel took; fewer than `count` only
  /// when a non-blocking socket's buffer filled up.
  @discardableResult
  public func sendBatch(_ batch: UDPMessageBatch, count: Int) throws -> Int {
    precondition(count >= 0 && count <= batch.capacity)
    for i in 0..<count {
      let length = batch.endpoint(at: i).write(to: batch.addresses + i, asIPv6: isIPv6)
      batch.prepare(i, length: batch.length(at: i), addressLength: length)
    }
    let fd = self.fd
    var sent = 0
    while sent < count {
      let start = batch.headers + sent
      let remaining = UInt32(count - sent)
      guard
        let n = try Syscall.runNonBlocking(
          "sendmmsg",
          {
            cmesh_sendmmsg(fd, start, remaining, Syscall.noSignal)
          })
      else { break }
      sent += Int(n)
    }
    return sent
  }
}
