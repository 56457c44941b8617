import MeshCore
import Synchronization

/// A clock the test moves by hand.
final class FakeClock: MeshClock, @unchecked Sendable {
  private let t = Mutex<UInt64>(1_000_000_000)
  private let wallOffset: UInt64 = 1_700_000_000_000_000_000

  func now() -> MeshInstant { MeshInstant(nanoseconds: t.withLock { $0 }) }
  func wallNanoseconds() -> UInt64 { wallOffset + t.withLock { $0 } }
  func advance(_ seconds: Double) { t.withLock { $0 += UInt64(seconds * 1e9) } }
}

/// Records what an engine decided.
struct Recorder: EngineOutput {
  var sent: [(bytes: [UInt8], to: Endpoint)] = []
  /// Hop-limited openers (`sendLimited`): they open the sender's NAT and reach nobody.
  var limited: [Endpoint] = []
  var delivered: [[UInt8]] = []
  var events: [MeshEvent] = []
  /// How many of `sent` the engine sealed in place in the caller's buffer (`sendInPlace`).
  var sentInPlace = 0

  mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    sent.append((Array(datagram), endpoint))
  }
  mutating func sendInPlace(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
    sentInPlace += 1
    send(datagram, to: endpoint)
  }
  mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {
    delivered.append(Array(frame))
  }
  mutating func event(_ event: MeshEvent) { events.append(event) }
  mutating func sendLimited(
    _ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint, hopLimit: UInt8
  ) {
    limited.append(endpoint)
  }
}

/// Several engines joined by a lossless in-memory underlay.
struct Network {
  let clock = FakeClock()
  var hosts: [Endpoint: MeshEngine] = [:]
  var outputs: [Endpoint: Recorder] = [:]
  /// Datagrams dropped in transit, for tests that cut a link.
  var cut: Set<Endpoint> = []
  /// Pairs of hosts that cannot reach each other directly (a firewall between them).
  var blocked: Set<Set<Endpoint>> = []
  /// The largest datagram each host's link takes; larger ones vanish on the way to it, as
  /// the kernel's fragments do on a link with a smaller MTU than the sender's.
  var linkLimit: [Endpoint: Int] = [:]
  /// Everything that crossed the underlay, in order.
  var wire: [(bytes: [UInt8], from: Endpoint, to: Endpoint)] = []
  /// Other addresses of hosts (a NAT's mapped address, a second interface): datagrams to an
  /// alias reach the host.
  var aliases: [Endpoint: Endpoint] = [:]
  /// The source address a datagram from a host to a destination shows (a NAT's mapping, the
  /// interface that faces the destination); nil keeps the host's own endpoint.
  var source: (_ host: Endpoint, _ to: Endpoint) -> Endpoint? = { _, _ in nil }
  /// Hosts behind a NAT that filters: a datagram reaches one only from an address it has
  /// sent to before (port-restricted cone NAT).
  var filtered: Set<Endpoint> = []
  /// The (host, destination) pairs a filtered host has sent to.
  var opened: Set<[Endpoint]> = []
  /// The (host, source) pairs whose datagram a filtered host's NAT dropped. As Linux's
  /// conntrack does, the NAT keeps an entry for it: a later datagram from the host to that
  /// source leaves from another port (the peer's answer then misses), unless the host had
  /// opened the pair before.
  var poisoned: Set<[Endpoint]> = []

  static func endpoint(_ n: Int) -> Endpoint { Endpoint("192.0.2.\(n):6786")! }

  @discardableResult
  mutating func add(
    _ n: Int, secret: SymmetricKey, timers: SessionTimers = SessionTimers(), seed: UInt64? = nil,
    ipam: IPAMPlan? = nil, claim: SubnetClaim? = nil, operatorKeys: Set<OperatorPublicKey> = [],
    key given: PrivateKey? = nil, configure: (inout MeshEngineConfiguration) -> Void = { _ in }
  ) -> Endpoint {
    let ep = Network.endpoint(n)
    var random = SeededRandom(seed: seed ?? UInt64(n) * 7919)
    // `given` makes a clone: a second host with another host's key.
    let key = given ?? PrivateKey.generate(using: &random)
    var config = MeshEngineConfiguration(
      privateKey: key, nickname: "host\(n)", clusterSecrets: [secret])
    config.advertisedEndpoints = [ep]
    config.timers = timers
    config.ipam = ipam
    config.ipamClaim = claim
    config.operatorKeys = operatorKeys
    configure(&config)
    hosts[ep] = MeshEngine(configuration: config, clock: clock, random: random)
    outputs[ep] = Recorder()
    return ep
  }

  /// Delivers queued datagrams until the network is quiet (bounded).
  mutating func run(rounds: Int = 20) {
    for _ in 0..<rounds {
      var moved = false
      for from in Array(outputs.keys) {
        let queued = outputs[from]!.sent
        outputs[from]!.sent = []
        // An opener to a source the NAT already dropped a datagram from leaves from another
        // port too (conntrack's entry for the dropped one stays): it opens nothing.
        for dest in outputs[from]!.limited
        where filtered.contains(from) && !poisoned.contains([from, dest]) {
          opened.insert([from, dest])
        }
        outputs[from]!.limited = []
        for (bytes, dest) in queued {
          moved = true
          let to = aliases[dest] ?? dest
          var shown = source(from, dest) ?? from
          if filtered.contains(from) {
            if poisoned.contains([from, dest]), !opened.contains([from, dest]) {
              shown.port &+= 1  // remapped: answers to it reach nobody
            } else {
              opened.insert([from, dest])
            }
          }
          wire.append((bytes, from, dest))
          guard !cut.contains(from), !cut.contains(to), hosts[to] != nil,
            !blocked.contains([from, to]), bytes.count <= linkLimit[to] ?? Int.max
          else { continue }
          if filtered.contains(to), !opened.contains([to, shown]) {
            poisoned.insert([to, shown])
            continue
          }
          var copy = bytes
          copy.withUnsafeMutableBytes { buf in
            hosts[to]!.receive(buf, from: shown, now: clock.now(), out: &outputs[to]!)
          }
          hosts[to]!.processHandshakes(now: clock.now(), out: &outputs[to]!)
        }
      }
      if !moved { return }
    }
  }

  /// Advances time in steps, ticking every host and delivering traffic.
  mutating func advance(_ seconds: Double, step: Double = 0.1) {
    var left = seconds
    while left > 1e-9 {
      let d = min(step, left)
      clock.advance(d)
      left -= d
      for ep in Array(hosts.keys) { hosts[ep]!.tick(now: clock.now(), out: &outputs[ep]!) }
      run()
    }
  }

  /// Sends an Ethernet frame from host `from`'s TAP.
  mutating func sendFrame(from: Endpoint, _ frame: [UInt8]) {
    var buffer = [UInt8](repeating: 0, count: MeshEngine.bufferSize)
    buffer.replaceSubrange(
      MeshEngine.framePrefix..<(MeshEngine.framePrefix + frame.count), with: frame)
    buffer.withUnsafeMutableBytes { b in
      hosts[from]!.sendFrame(b, frameLength: frame.count, now: clock.now(), out: &outputs[from]!)
    }
    run()
  }

  func status(_ ep: Endpoint) -> MeshStatus { hosts[ep]!.status(now: clock.now()) }

  func established(_ a: Endpoint, _ b: Endpoint) -> Bool {
    status(a).peers.contains { $0.endpoint == b && $0.state == "established" }
  }
}

/// An Ethernet frame from `src` to `dst` carrying `payload`.
func ethernetFrame(dst: MACAddress, src: MACAddress, payload: [UInt8] = Array("hello".utf8))
  -> [UInt8]
{
  dst.octets + src.octets + [0x08, 0x00] + payload
}
