import Synchronization

@testable import MeshCore
@testable import MeshProtocol

/// Records, for each `SecureBytes` made through it, that its `deinit` ran and whether the buffer
/// was all zeros at that point. The hook runs before the buffer is freed, so no test reads freed
/// memory.
final class SecureBytesReleaseLog: Sendable {
  private let zeroed = Mutex<[Bool]>([])

  /// One entry per storage released so far: true when its bytes had been zeroed.
  var releases: [Bool] { zeroed.withLock { $0 } }

  /// A storage of `count` bytes, all `fill`, whose release this log records.
  func storage(count: Int = 32, filledWith fill: UInt8 = 0xA5) -> SecureBytes {
    SecureBytes(count: count, onRelease: observer) {
      $0.initializeMemory(as: UInt8.self, repeating: fill)
    }
  }

  /// The hook to give a `SecureBytes` directly.
  var observer: SecureBytes.ReleaseObserver {
    { [self] raw in
      let isZero = raw.allSatisfy { $0 == 0 }
      self.zeroed.withLock { $0.append(isZero) }
    }
  }
}
