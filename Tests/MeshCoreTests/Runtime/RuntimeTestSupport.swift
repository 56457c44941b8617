import Synchronization

/// A value the loop's report closures (which must be `Sendable`) write and the test reads.
final class Locked<Value: Sendable>: Sendable {
  private let mutex: Mutex<Value>

  init(_ value: Value) { mutex = Mutex(value) }

  /// The current value.
  var value: Value { mutex.withLock { $0 } }

  /// Changes the value in place.
  func update(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
}

/// Ethernet frames for the runtime tests.
enum TestFrame {
  static let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

  /// A locally administered MAC for host `n`'s bridge side.
  static func mac(_ n: Int) -> [UInt8] { [0x02, 0, 0, 0, 0x10, UInt8(n)] }

  /// A frame from `src` to `dst` with an experimental EtherType and `length` payload bytes
  /// that all hold `tag`.
  static func make(
    from src: [UInt8], to dst: [UInt8], tag: UInt8, length: Int = 100, etherType: UInt8 = 0xB5
  ) -> [UInt8] {
    dst + src + [0x88, etherType] + [UInt8](repeating: tag, count: length)
  }
}
