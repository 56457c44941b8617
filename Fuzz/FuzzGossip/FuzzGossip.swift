// libFuzzer harness for the gossip codec, reassembly and scheduler.
//
// The input is decoded as one gossip message; then it is cut into length-prefixed pieces,
// each decoded and fed, in order, to a `Gossiper` (with clock steps and ticks in between) and
// to a `GossipReassembly`. Nothing may trap, and the bounds must hold.
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

/// A gossiper with a few known peers, built once.
struct Fixture {
  var gossiper: Gossiper
  var peers: [PeerID]

  init() {
    var random = FuzzRandom()
    let keys = (0..<4).map { _ in PublicKey(bytes: random.bytes(32))! }
    let ids = keys.map(\.peerID)
    let local = PeerRecord(
      publicKey: keys[0], nickname: "fuzz", endpoints: [Endpoint("192.0.2.1:6786")!],
      version: 10, connections: Array(ids.dropFirst()))
    var gossiper = try! Gossiper(local: local)
    for key in keys.dropFirst() {
      let record = PeerRecord(publicKey: key, nickname: "p", version: 5, connections: [ids[0]])
      for bytes in GossipMessage.pack([record]) {
        _ = gossiper.received(bytes: bytes, from: ids[1], now: MeshInstant(nanoseconds: 1))
      }
    }
    self.gossiper = gossiper
    self.peers = Array(ids.dropFirst())
  }
}

nonisolated(unsafe) let fixture = Fixture()

/// The libFuzzer entry point: runs one input through the decoder, reassembly and a gossiper.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = Array(UnsafeBufferPointer(start: data, count: size))
  var gossiper = fixture.gossiper
  var reassembly = GossipReassembly()
  var random = FuzzRandom()
  var clock = MeshInstant(nanoseconds: 1_000_000_000)
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
    for (to, bytes) in gossiper.received(bytes: piece, from: from, now: clock) {
      precondition(bytes.count <= WireLimits.maxGossip && fixture.peers.contains(to))
    }
    if case .records(let segments)? = try? GossipMessage.decode(piece) {
      for segment in segments { _ = reassembly.add(segment) }
    }
    for (_, bytes) in gossiper.tick(now: clock, neighbors: fixture.peers, random: &random) {
      precondition(bytes.count <= WireLimits.maxGossip)
    }
    _ = gossiper.takeEvents()
  }
  precondition(reassembly.count <= MeshLimits.maxReassemblyEntries)
  precondition(reassembly.reservedBytes <= MeshLimits.maxReassemblyBytes)
  precondition(gossiper.topology.count <= MeshLimits.maxPeers)
  return 0
}
