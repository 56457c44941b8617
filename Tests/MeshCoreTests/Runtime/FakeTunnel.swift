import Synchronization

@testable import MeshCore
@testable import MeshIO
@testable import MeshProtocol

#if canImport(Glibc)
  import Glibc
#endif

/// An in-memory TAP: the test injects frames for the loop to read and finds the frames the
/// loop wrote. Its descriptor is an eventfd that stays readable while frames wait, so the
/// loop's real poller sees it like a TAP.
final class FakeTunnel: TunnelDevice, @unchecked Sendable {
  let hasVirtioHeader: Bool
  private let readiness: EventNotifier
  private var inbound: [[UInt8]] = []
  /// Every frame the loop wrote, with its virtio-net header when the device has one.
  private(set) var written: [[UInt8]] = []
  /// Writes refused so far.
  private(set) var refused = 0
  /// Refuses frames for which it returns an error (e.g. EINVAL for merged UDP frames).
  var refuse: (VirtioNetHeader?) -> Int32? = { _ in nil }
  private(set) var isClosed = false
  /// Once set, every read fails with this errno and the descriptor stays readable: what a
  /// TAP whose link was deleted does (EBADFD).
  private(set) var readFailure: Int32?
  /// Reads attempted since reads began to fail.
  private(set) var failedReads = 0

  init(virtioHeader: Bool = false) throws {
    hasVirtioHeader = virtioHeader
    readiness = try EventNotifier()
  }

  var fd: Int32 { isClosed ? -1 : readiness.fd }

  /// Queues `frame` (plain Ethernet) for the loop to read, behind a plain virtio-net header
  /// when the device has them.
  func inject(_ frame: [UInt8]) {
    if hasVirtioHeader {
      var header = [UInt8](repeating: 0, count: VirtioNetHeader.size)
      header.withUnsafeMutableBytes { VirtioNetHeader.plain.write(into: $0) }
      inbound.append(header + frame)
    } else {
      inbound.append(frame)
    }
    readiness.signal()
  }

  /// The frames written, without their virtio-net headers.
  var writtenFrames: [[UInt8]] {
    written.map { hasVirtioHeader ? Array($0.dropFirst(VirtioNetHeader.size)) : $0 }
  }

  /// The virtio-net headers of the frames written.
  var writtenHeaders: [VirtioNetHeader?] {
    written.map { w in w.withUnsafeBytes { VirtioNetHeader.read($0) } }
  }

  /// Makes every later read fail with `errno`, as a deleted TAP does.
  func startFailing(errno code: Int32) {
    readFailure = code
    readiness.signal()
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
    if let readFailure {
      failedReads += 1
      throw SystemError(call: "read(tap)", errno: readFailure)
    }
    guard !inbound.isEmpty else { return nil }
    let frame = inbound.removeFirst()
    if inbound.isEmpty { readiness.drain() }
    let n = min(frame.count, buffer.count)
    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: frame.withUnsafeBytes { $0 }[0..<n]))
    return n
  }

  func write(_ frame: UnsafeRawBufferPointer) throws {
    let header = hasVirtioHeader ? VirtioNetHeader.read(frame) : nil
    if let code = refuse(header) {
      refused += 1
      throw TapError.system(SystemError(call: "write(tap)", errno: code))
    }
    written.append(Array(frame))
  }

  func close() { isClosed = true }
}
