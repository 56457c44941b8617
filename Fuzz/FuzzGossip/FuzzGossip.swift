// libFuzzer harness for the gossip codec, reassembly, record signatures and scheduler.
//
// The input is decoded as one gossip message; then it is cut into length-prefixed pieces
// (2 bytes: length, 11 bits little-endian, then the sender in the top 5 bits), each decoded
// and fed, in order, to a `Gossiper` (with clock steps and ticks in between) and to a
// `GossipReassembly`, whose whole records also go through the signature check. Nothing may
// trap, the bounds must hold, and no record the gossiper holds may lack a valid signature.
//
// The fixture's keys are fixed (`GossipFuzzKeys`), so the committed seeds
// (`Fuzz/FuzzGossip/corpus`, written by the `GossipFuzzCorpus` test) carry records that
// verify: mutations of them reach past the signature check, and its refusals.
import MeshCore

/// A fixed random stream, so every run of an input behaves the same.
struct FuzzRandom: RandomSource {
  var state: UInt64 = 0x1234_5678
  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for i in 0..<buffer.count {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      buffer[i] = UInt8(truncatingIfNeeded: state >> 33)
    }
  }
}

/// The fixture's keys: host `i` has the X25519 key of 32 bytes `i + 1`; the operator key
/// has the seed of 32 bytes 0xF0. The seed generator in the tests uses the same.
enum GossipFuzzKeys {
  /// Host `index`'s private key.
  static func host(_ index: Int) -> PrivateKey {
    try! PrivateKey(bytes: [UInt8](repeating: UInt8(index + 1), count: 32))
  }
  /// The operator key the gossiper is configured with.
  static let operatorKey = try! OperatorKey(seed: [UInt8](repeating: 0xF0, count: 32))
}

/// A gossiper with a few known peers, built once.
struct Fixture {
  var gossiper: Gossiper
  var peers: [PeerID]
  let operatorKeys: Set<OperatorPublicKey> = [GossipFuzzKeys.operatorKey.publicKey]

  init() {
    var random = FuzzRandom()
    let keys = (0..<4).map { GossipFuzzKeys.host($0) }
    let ids = keys.map(\.publicKey.peerID)
    let local = PeerRecord(
      publicKey: keys[0].publicKey, nickname: "fuzz", endpoints: [Endpoint("192.0.2.1:6786")!],
      version: 10, connections: Array(ids.dropFirst()))
    var gossiper = try! Gossiper(
      local: local, signer: RecordSigner(privateKey: keys[0], random: &random),
      configuration: Gossiper.Configuration(operatorKeys: operatorKeys))
    for key in keys.dropFirst() {
      let record = PeerRecord(
        publicKey: key.publicKey, nickname: "p", version: 5, connections: [ids[0]]
      ).signed(with: key, random: random.bytes(64))
      for bytes in GossipMessage.pack([record]) {
        _ = gossiper.received(
          bytes: bytes, from: ids[1], now: MeshInstant(nanoseconds: 1), wall: Fixture.wall)
      }
    }
    precondition(gossiper.topology.count == 4, "the fixture's records verify")
    self.gossiper = gossiper
    self.peers = Array(ids.dropFirst())
  }

  /// The wall clock at the start of every input (ns); records up to
  /// `MeshLimits.maxFutureSkew` beyond the current wall time are accepted.
  static let wall: UInt64 = 1_000_000_000_000
}

nonisolated(unsafe) let fixture = Fixture()

/// The libFuzzer entry point: runs one input through the decoder, reassembly, the signature
/// check and a gossiper.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = Array(UnsafeBufferPointer(start: data, count: size))
  var gossiper = fixture.gossiper
  var reassembly = GossipReassembly()
  var random = FuzzRandom()
  let start = MeshInstant(nanoseconds: 1_000_000_000)
  var clock = start
  if let message = try? GossipMessage.decode(input) {
    // A message that decodes must re-encode to something that decodes to the same message.
    if let again = try? message.encode() {
      precondition(again.count <= WireLimits.maxGossip)
      precondition((try? GossipMessage.decode(again)) == message)
    }
  }
  var offset = 0
  while offset + 2 <= input.count {
    let length = Int(input[offset]) | Int(input[offset + 1] & 0x07) << 8
    let from = fixture.peers[Int(input[offset + 1] >> 3) % fixture.peers.count]
    offset += 2
    let piece = Array(input[offset..<min(input.count, offset + length)])
    offset += length
    clock = clock.adding(seconds: Double(input[offset - 1 < input.count ? max(0, offset - 1) : 0]))
    let wall = Fixture.wall + (clock.nanoseconds - start.nanoseconds)
    for (to, bytes) in gossiper.received(bytes: piece, from: from, now: clock, wall: wall) {
      precondition(bytes.count <= WireLimits.maxGossip && fixture.peers.contains(to))
    }
    if case .records(let segments)? = try? GossipMessage.decode(piece) {
      for segment in segments {
        guard let whole = reassembly.add(segment) else { continue }
        // The check must not trap on anything that reassembles, and a record that passes it
        // must still pass after a round trip through the codec.
        if (try? whole.verifySignature(operatorKeys: fixture.operatorKeys)) != nil,
          (try? whole.validate()) != nil
        {
          let again = GossipMessage.pack([whole]).flatMap { bytes -> [RecordSegment] in
            guard case .records(let s)? = try? GossipMessage.decode(bytes) else { return [] }
            return s
          }
          var check = GossipReassembly()
          let rebuilt = again.compactMap { check.add($0) }
          precondition(rebuilt == [whole])
        }
      }
    }
    for (_, bytes) in gossiper.tick(now: clock, neighbors: fixture.peers, random: &random) {
      precondition(bytes.count <= WireLimits.maxGossip)
    }
    _ = gossiper.takeEvents()
  }
  // Every record the gossiper took in carries a signature that verifies: forged or tampered
  // ones never get in. (Only records that changed are checked: a few per input.)
  for (id, record) in gossiper.topology.records where fixture.gossiper.topology[id] != record {
    precondition(
      (try? record.verifySignature(operatorKeys: fixture.operatorKeys)) != nil,
      "an unsigned or forged record was merged")
  }
  precondition(reassembly.count <= MeshLimits.maxReassemblyEntries)
  precondition(reassembly.reservedBytes <= MeshLimits.maxReassemblyBytes)
  precondition(gossiper.topology.count <= MeshLimits.maxPeers)
  return 0
}
