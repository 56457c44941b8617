import Testing

@testable import MeshCore
@testable import MeshLogic
@testable import MeshProtocol
@testable import MeshTypes

/// A keypair's transport keys share zeroize-on-drop storage with the keypair's copies.
@Suite struct SessionKeypairTests {
  func keypair(_ log: SecureBytesReleaseLog) -> Keypair {
    Keypair(
      localIndex: 1, remoteIndex: 2, peer: PeerID(rawValue: 7),
      created: MeshInstant(nanoseconds: 0),
      isInitiator: true, sendKey: SymmetricKey(storage: log.storage(filledWith: 1)),
      receiveKey: SymmetricKey(storage: log.storage(filledWith: 2)))
  }

  @Test func wipeDropsTheKeysAndTheLastCopyZeroesThem() {
    let log = SecureBytesReleaseLog()
    var discarded = keypair(log)
    var statusCopy: Keypair? = discarded
    discarded.wipe()
    #expect(discarded.sendKey.bytes == [UInt8](repeating: 0, count: 32))
    #expect(discarded.receiveKey.bytes == [UInt8](repeating: 0, count: 32))
    #expect(log.releases.isEmpty)
    #expect(statusCopy!.sendKey.bytes == [UInt8](repeating: 1, count: 32))
    statusCopy = nil
    #expect(log.releases == [true, true])
  }

  @Test func wipedKeypairNoLongerOpensWhatItsCopySeals() {
    let log = SecureBytesReleaseLog()
    var sender = keypair(log)
    var receiver = Keypair(
      localIndex: 2, remoteIndex: 1, peer: PeerID(rawValue: 8),
      created: MeshInstant(nanoseconds: 0),
      isInitiator: false, sendKey: sender.receiveKey, receiveKey: sender.sendKey)
    let timers = SessionTimers()
    let now = MeshInstant(nanoseconds: 1)
    var buffer = [UInt8](repeating: 0, count: TransportHeader.size + 4 + ChaChaPoly.tagLength)
    let length = buffer.withUnsafeMutableBytes { b in
      b[TransportHeader.size] = 42
      return sender.seal(b, payloadLength: 4, now: now, timers: timers)
    }
    #expect(length == buffer.count)
    var copy = buffer
    var wiped = receiver
    wiped.wipe()
    let opened: Keypair.OpenResult = buffer.withUnsafeMutableBytes { b in
      receiver.open(
        counter: 0, sealed: UnsafeMutableRawBufferPointer(rebasing: b[TransportHeader.size...]),
        now: now, timers: timers)
    }
    guard case .opened(4) = opened else {
      Issue.record("the unwiped copy did not open the message: \(opened)")
      return
    }
    #expect(buffer[TransportHeader.size] == 42)
    let refused: Keypair.OpenResult = copy.withUnsafeMutableBytes { b in
      wiped.open(
        counter: 0, sealed: UnsafeMutableRawBufferPointer(rebasing: b[TransportHeader.size...]),
        now: now, timers: timers)
    }
    guard case .dropped(.authentication) = refused else {
      Issue.record("the wiped keypair opened the message: \(refused)")
      return
    }
  }
}
