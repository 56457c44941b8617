// libFuzzer harness for the handshake state machine and the engine's datagram handling.
//
// The first input byte picks a scenario; the rest is the attacker's bytes. Scenarios that
// need to get past mac1 are given a valid mac1 (as a member of the cluster would), so the
// fuzzer reaches the Noise processing, the payload decoder and the session logic behind it.
import MeshCore
import MeshLogic
import MeshProtocol
import MeshTypes

/// A clock that stands still unless the input moves it.
final class FuzzClock: MeshClock, @unchecked Sendable {
  var t: UInt64 = 1_000_000_000
  func now() -> MeshInstant { MeshInstant(nanoseconds: t) }
  func wallNanoseconds() -> UInt64 { 1_700_000_000_000_000_000 + t }
}

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

/// Discards everything the engine wants to do, but keeps the last datagram it sent.
struct Sink: EngineOutput {
  var last: [UInt8] = []
  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    last = Array(datagram)
  }
  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {}
  mutating func event(_ event: MeshEvent) {}
}

/// Engines set up once: a responder, an initiator with an initiation in flight, and a pair
/// with an established session.
struct Fixture {
  let clock = FuzzClock()
  let addressI = Endpoint("192.0.2.1:6786")!
  let addressR = Endpoint("192.0.2.2:6786")!
  var responder: MeshEngine
  var initiator: MeshEngine
  var initiation: [UInt8]
  var pendingIndex: UInt32
  var established: MeshEngine
  var sessionIndex: UInt32
  let mac1Key: SymmetricKey

  init() {
    let clock = self.clock
    let addressI = self.addressI
    let addressR = self.addressR
    var random = FuzzRandom()
    let secret = SymmetricKey.generate(using: &random)
    func engine(_ name: String) -> MeshEngine {
      let config = MeshEngineConfiguration(
        privateKey: PrivateKey.generate(using: &random), nickname: name, clusterSecrets: [secret])
      return MeshEngine(configuration: config, clock: clock, random: random)
    }
    let responder = engine("r")
    var initiator = engine("i")
    var sink = Sink()
    initiator.connect(addressR, now: clock.now())
    initiator.tick(now: clock.now(), out: &sink)
    let initiation = sink.last
    // Complete a handshake on copies to get an established responder.
    var r = responder
    var i = initiator
    var msg = initiation
    msg.withUnsafeMutableBytes { r.receive($0, from: addressI, now: clock.now(), out: &sink) }
    r.processHandshakes(now: clock.now(), out: &sink)
    var response = sink.last
    response.withUnsafeMutableBytes { i.receive($0, from: addressR, now: clock.now(), out: &sink) }
    i.processHandshakes(now: clock.now(), out: &sink)
    var keepalive = sink.last
    keepalive.withUnsafeMutableBytes {
      r.receive($0, from: addressI, now: clock.now(), out: &sink)
    }
    r.processHandshakes(now: clock.now(), out: &sink)
    self.mac1Key = MeshHandshake.mac1Key(secret)
    self.responder = responder
    self.initiator = initiator
    self.initiation = initiation
    self.pendingIndex = initiator.pendingInitiationIndexes.first!
    self.established = r
    self.sessionIndex = r.keypairs.keys.first!
  }
}

nonisolated(unsafe) var fixture = Fixture()

/// The libFuzzer entry point: one input, one scenario.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size >= 1 else { return 0 }
  let mode = data[0] % 6
  let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  let f = fixture
  var sink = Sink()
  let now = f.clock.now()
  switch mode {
  case 0:  // raw datagram at a responder
    var e = f.responder
    var d = body
    d.withUnsafeMutableBytes { e.receive($0, from: f.addressI, now: now, out: &sink) }
    e.processHandshakes(now: now, out: &sink)
  case 1:  // an initiation with the attacker's Noise message and a valid mac1
    var e = f.responder
    guard var msg = try? HandshakeInitiation(senderIndex: 7, noise: body).encode() else { break }
    e.writeMac1(&msg, key: f.mac1Key)
    msg.withUnsafeMutableBytes { e.receive($0, from: f.addressI, now: now, out: &sink) }
    e.processHandshakes(now: now, out: &sink)
  case 2:  // a response to a real pending initiation
    var e = f.initiator
    guard
      var msg = try? HandshakeResponse(senderIndex: 9, receiverIndex: f.pendingIndex, noise: body)
        .encode()
    else { break }
    e.writeMac1(&msg, key: f.mac1Key)
    msg.withUnsafeMutableBytes { e.receive($0, from: f.addressR, now: now, out: &sink) }
    e.processHandshakes(now: now, out: &sink)
  case 3:  // a real initiation with the attacker's bytes XORed in, mac1 recomputed
    var e = f.responder
    var msg = f.initiation
    for (i, b) in body.enumerated() where i < msg.count - 32 { msg[i] ^= b }
    e.writeMac1(&msg, key: f.mac1Key)
    msg.withUnsafeMutableBytes { e.receive($0, from: f.addressI, now: now, out: &sink) }
    e.processHandshakes(now: now, out: &sink)
  case 4:  // transport messages on an established session
    var e = f.established
    var msg: [UInt8] = [4, 0, 0, 0]
    withUnsafeBytes(of: f.sessionIndex.littleEndian) { msg += $0 }
    msg += body
    msg.withUnsafeMutableBytes { e.receive($0, from: f.addressI, now: now, out: &sink) }
    e.processHandshakes(now: now, out: &sink)
  default:  // a sequence of datagrams and clock jumps against an established session
    var e = f.established
    var i = 0
    var clock = now
    while i + 2 <= body.count {
      let len = Int(body[i]) % 96
      let jump = Double(body[i + 1]) * 2
      i += 2
      var d = Array(body[i..<min(body.count, i + len)])
      i += len
      clock = clock.adding(seconds: jump)
      e.tick(now: clock, out: &sink)
      d.withUnsafeMutableBytes { e.receive($0, from: f.addressI, now: clock, out: &sink) }
      e.processHandshakes(now: clock, out: &sink)
    }
  }
  return 0
}
