import MeshCore
import Testing

@Suite("Piece reassembly")
struct PieceReassemblyTests {
  let now = MeshInstant(nanoseconds: 1_000)
  let a = PeerID(rawValue: 1)
  let b = PeerID(rawValue: 2)

  /// The pieces of `message` cut at `pieceLength`.
  func pieces(_ message: [UInt8], id: UInt32, pieceLength: Int) -> [(PieceHeader, [UInt8])] {
    let h = PieceHeader(
      messageID: id, totalLength: message.count, pieceLength: pieceLength, index: 0)
    return (0..<h.pieceCount).map { i in
      var p = h
      p.index = i
      return (p, Array(message[p.offset..<(p.offset + p.length)]))
    }
  }

  func add(
    _ r: inout PieceReassembly, _ piece: (PieceHeader, [UInt8]), from peer: PeerID,
    at time: MeshInstant? = nil
  ) -> PieceReassembly.Outcome {
    piece.1.withUnsafeBytes { r.add(piece.0, $0, from: peer, now: time ?? now) }
  }

  @Test func piecesInAnyOrderGiveTheMessageBack() {
    let message = (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    var r = PieceReassembly()
    let cut = pieces(message, id: 9, pieceLength: 1300)
    #expect(cut.count == 3)
    #expect(add(&r, cut[2], from: a) == .pending(evicted: false))
    #expect(add(&r, cut[0], from: a) == .pending(evicted: false))
    guard case .complete(let slot, false) = add(&r, cut[1], from: a) else {
      Issue.record("not complete")
      return
    }
    #expect(Array(r.message(in: slot)) == message)
    r.release(slot)
    #expect(r.inProgress == 0)
  }

  @Test func duplicatesAndDisagreeingPiecesAreRefused() {
    let message = [UInt8](repeating: 1, count: 1000)
    var r = PieceReassembly()
    let cut = pieces(message, id: 1, pieceLength: 400)
    #expect(add(&r, cut[0], from: a) == .pending(evicted: false))
    #expect(add(&r, cut[0], from: a) == .refused)
    // Same message ID, another cut.
    let other = pieces(message, id: 1, pieceLength: 500)
    #expect(add(&r, other[1], from: a) == .refused)
    // The same ID from another peer is another message.
    #expect(add(&r, other[1], from: b) == .pending(evicted: false))
    #expect(r.inProgress == 2)
  }

  @Test func aPeerStartingTooManyMessagesOnlyEvictsItsOwn() {
    var r = PieceReassembly()
    let message = [UInt8](repeating: 2, count: 600)
    // Every other peer holds a message in progress.
    for n in 10..<(10 + PieceReassembly.slotCount - PieceReassembly.slotsPerPeer) {
      let first = pieces(message, id: 0, pieceLength: 300)[0]
      #expect(add(&r, first, from: PeerID(rawValue: UInt64(n))) == .pending(evicted: false))
    }
    var evictions = 0
    for id in 0..<UInt32(3 * PieceReassembly.slotsPerPeer) {
      let first = pieces(message, id: id, pieceLength: 300)[0]
      if case .pending(true) = add(&r, first, from: a) { evictions += 1 }
    }
    #expect(evictions == 2 * PieceReassembly.slotsPerPeer)
    // The others' messages are still there: their second pieces complete them.
    for n in 10..<(10 + PieceReassembly.slotCount - PieceReassembly.slotsPerPeer) {
      let second = pieces(message, id: 0, pieceLength: 300)[1]
      guard case .complete = add(&r, second, from: PeerID(rawValue: UInt64(n))) else {
        Issue.record("message of peer \(n) lost")
        return
      }
    }
  }

  @Test func aStaleMessageGivesWayAndIsReported() {
    var r = PieceReassembly()
    let message = [UInt8](repeating: 3, count: 600)
    for n in 0..<PieceReassembly.slotCount {
      let first = pieces(message, id: 0, pieceLength: 300)[0]
      _ = add(&r, first, from: PeerID(rawValue: UInt64(100 + n)))
    }
    let later = now.adding(seconds: PieceReassembly.maxAge + 1)
    let first = pieces(message, id: 5, pieceLength: 300)[0]
    #expect(add(&r, first, from: a, at: later) == .pending(evicted: true))
    #expect(r.inProgress == PieceReassembly.slotCount)
    r.forget(a)
    #expect(r.inProgress == PieceReassembly.slotCount - 1)
  }
}
