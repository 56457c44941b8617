@testable import MeshCore
@testable import MeshIO
@testable import MeshTypes

/// An in-memory UDP socket on a `FakeUnderlay`; its descriptor is an eventfd that stays
/// readable while datagrams wait.
final class FakeSocket: DatagramSocket, @unchecked Sendable {
  private unowned let underlay: FakeUnderlay
  let localEndpoint: Endpoint
  var isIPv6: Bool { localEndpoint.isIPv6 }
  private(set) var remote: Endpoint?
  private let readiness: EventNotifier
  private var inbound: [(bytes: [UInt8], from: Endpoint)] = []
  /// How many datagrams each `send(_: UDPSendQueue)` carried, in order.
  private(set) var batches: [Int] = []
  /// How many datagrams left one at a time.
  private(set) var singles = 0
  private(set) var isClosed = false

  init(underlay: FakeUnderlay, local: Endpoint) throws {
    self.underlay = underlay
    localEndpoint = local
    readiness = try EventNotifier()
  }

  var fd: Int32 { isClosed ? -1 : readiness.fd }
  /// Datagrams waiting to be read.
  var pending: Int { inbound.count }

  func enqueue(_ bytes: [UInt8], from: Endpoint) {
    inbound.append((bytes, from))
    readiness.signal()
  }

  func receiveBatch(into batch: UDPMessageBatch, limit: Int?) throws -> Int? {
    guard !inbound.isEmpty else { return nil }
    let n = min(inbound.count, limit ?? batch.capacity, batch.capacity)
    for i in 0..<n {
      let (bytes, from) = inbound[i]
      let buffer = batch.buffer(at: i)
      bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
      batch.setReceived(at: i, length: bytes.count, from: from)
    }
    inbound.removeFirst(n)
    if inbound.isEmpty { readiness.drain() }
    return n
  }

  func send(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint) throws {
    singles += 1
    underlay.carry(bytes, from: localEndpoint, to: endpoint)
  }

  func send(_ queue: UDPSendQueue) -> Int {
    batches.append(queue.count)
    for i in 0..<queue.count {
      underlay.carry(queue.datagram(at: i), from: localEndpoint, to: queue.endpoint(at: i))
    }
    queue.removeAll()
    return 0
  }

  func connect(to endpoint: Endpoint) throws { remote = endpoint }

  /// The receive buffers the loop asked for, in order.
  private(set) var receiveBuffers: [Int] = []

  func setReceiveBuffer(bytes: Int) { receiveBuffers.append(bytes) }

  func close() {
    isClosed = true
    underlay.remove(self)
  }
}

/// Opens peer sockets on a `FakeUnderlay`.
struct FakeSocketFactory: DatagramSocketFactory {
  let underlay: FakeUnderlay

  func makeSocket(boundTo local: Endpoint, connectedTo remote: Endpoint) throws -> FakeSocket {
    let s = try underlay.socket(at: local)
    try s.connect(to: remote)
    return s
  }
}
