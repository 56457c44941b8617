import MeshCore
import Testing

@Suite("Wire: pieces (inner kind 7)")
struct WirePieceTests {
  func write(_ h: PieceHeader, _ bytes: [UInt8]) throws -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: PieceHeader.size + bytes.count)
    let n = try bytes.withUnsafeBytes { b in
      try buffer.withUnsafeMutableBytes { try InnerMessage.writePiece(h, bytes: b, into: $0) }
    }
    #expect(n == buffer.count)
    return buffer
  }

  @Test func aPieceRoundTrips() throws {
    let h = PieceHeader(messageID: 0xA1B2_C3D4, totalLength: 3000, pieceLength: 1300, index: 2)
    #expect(h.pieceCount == 3 && h.offset == 2600 && h.length == 400)
    let bytes = [UInt8](repeating: 0x5C, count: 400)
    let wire = try write(h, bytes)
    #expect(Array(wire.prefix(10)) == [7, 0xD4, 0xC3, 0xB2, 0xA1, 0xB8, 0x0B, 0x14, 0x05, 2])
    #expect(try InnerMessage.parse(wire) == .piece(h, bytes: 10..<410))
    #expect(InnerKind.piece.headerLength == PieceHeader.size)
  }

  @Test func malformedPiecesAreRefused() throws {
    let good = PieceHeader(messageID: 1, totalLength: 1000, pieceLength: 600, index: 0)
    var wire = try write(good, [UInt8](repeating: 0, count: 600))
    // One byte too short or too long for the cut.
    #expect(throws: WireError.malformed) { try InnerMessage.parse(Array(wire.dropLast())) }
    #expect(throws: WireError.malformed) { try InnerMessage.parse(wire + [0]) }
    // An index past the last piece.
    wire[9] = 2
    #expect(throws: WireError.malformed) { try InnerMessage.parse(wire) }
    // A header alone.
    #expect(throws: WireError.truncated) { try InnerMessage.parse(Array(wire.prefix(10))) }
    // Cuts the receiver does not take: one piece, too many pieces, pieces below the least.
    for h in [
      PieceHeader(messageID: 1, totalLength: 500, pieceLength: 600, index: 0),
      PieceHeader(messageID: 1, totalLength: 60_000, pieceLength: 200, index: 0),
      PieceHeader(messageID: 1, totalLength: 1, pieceLength: 1, index: 0),
      PieceHeader(messageID: 1, totalLength: 65_500, pieceLength: 1000, index: 0),
    ] {
      #expect(!h.isValid, "\(h)")
      #expect(throws: WireError.malformed) {
        try write(h, [UInt8](repeating: 0, count: max(0, min(h.pieceLength, h.totalLength))))
      }
    }
    #expect(WireLimits.minPieceLength * WireLimits.maxPieces >= WireLimits.maxReassembled)
  }
}
