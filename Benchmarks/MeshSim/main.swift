// mesh-sim: the mesh control plane of N hosts in one process, on a simulated clock.
//
// Every host runs a real `Gossiper`. All start knowing only host 0; a connection maker
// "connects" a host to every peer it learns of after a simulated handshake latency, and gossip
// travels over established connections with a simulated one-way latency. Prints the time to
// convergence (every topology holds all N records and every host is connected to all others),
// the messages and bytes per host to get there, and the steady-state control traffic per host
// over five simulated minutes after convergence.
//
// Usage: swift run -c release mesh-sim [N] [seed]
import MeshCore
import MeshIO

/// SplitMix64, as the simulation's only source of randomness.
struct SimRandom: RandomSource {
  var state: UInt64
  mutating func next64() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
    for index in 0..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: next64()) }
  }
  /// Uniform in `low...high` milliseconds, as nanoseconds.
  mutating func millis(_ low: UInt64, _ high: UInt64) -> UInt64 {
    (low + next64() % (high - low + 1)) * 1_000_000
  }
}

/// What happens at a simulated instant.
enum Kind {
  case deliver(to: Int, from: Int, messages: [[UInt8]])
  case connect(Int, Int)
  case tick(Int)
}

/// A timed event; `seq` keeps equal times in insertion order.
struct Event {
  var time: UInt64
  var seq: UInt64
  var kind: Kind
  func before(_ other: Event) -> Bool {
    time != other.time ? time < other.time : seq < other.seq
  }
}

/// A binary min-heap of events.
struct EventQueue {
  var items: [Event] = []
  var seq: UInt64 = 0
  mutating func push(_ time: UInt64, _ kind: Kind) {
    seq += 1
    items.append(Event(time: time, seq: seq, kind: kind))
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard items[child].before(items[parent]) else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }
  mutating func pop() -> Event? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var parent = 0
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var best = parent
      if left < items.count, items[left].before(items[best]) { best = left }
      if right < items.count, items[right].before(items[best]) { best = right }
      if best == parent { break }
      items.swapAt(parent, best)
      parent = best
    }
    return top
  }
}

/// One simulated host.
struct Host {
  var gossiper: Gossiper
  var record: PeerRecord
  var sessions: [PeerID] = []
  var dialing: Set<PeerID> = []
  var scheduledTick: UInt64 = .max
}

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? max(2, Int(arguments[1]) ?? 1000) : 1000
let seed = arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1
var random = SimRandom(state: seed)
let start = MeshInstant(nanoseconds: 1_000_000_000)

var hosts: [Host] = []
var index: [PeerID: Int] = [:]
for number in 0..<count {
  let privateKey = PrivateKey.generate(using: &random)
  let key = privateKey.publicKey
  let endpoint = Endpoint(address: .v4(0x0A00_0000 | UInt32(number)), port: 6786)
  let record = PeerRecord(
    publicKey: key, nickname: "host\(number)", endpoints: [endpoint], version: 1)
  let signer = RecordSigner(privateKey: privateKey, random: &random)
  let gossiper = try! Gossiper(local: record, signer: signer)
  index[record.id] = number
  hosts.append(Host(gossiper: gossiper, record: record))
}

var queue = EventQueue()
var now: UInt64 = start.nanoseconds
var fullTopologies = 0
var fullSessions = 0
/// Bytes sent per message kind (1 records, 2 digest, 3 request, 4 summary).
var kindBytes: [Int: Int] = [:]
/// Record bytes sent by the kind of message that caused them (0: tick or local change).
var causeBytes: [Int: Int] = [:]

/// Sends a gossiper's output: one delivery event per destination, after a one-way latency.
@MainActor
func send(_ out: [Gossiper.Outgoing], from sender: Int, cause: Int = 0) {
  guard !out.isEmpty else { return }
  for message in out where message.bytes[0] & 0x0F == 1 {
    causeBytes[cause, default: 0] += message.bytes.count
  }
  var byDestination: [Int: [[UInt8]]] = [:]
  for message in out {
    kindBytes[Int(message.bytes[0] & 0x0F), default: 0] += message.bytes.count
    guard let to = index[message.to] else { continue }
    byDestination[to, default: []].append(message.bytes)
  }
  for (to, messages) in byDestination {
    queue.push(now + random.millis(1, 20), .deliver(to: to, from: sender, messages: messages))
  }
}

/// After any call into host `h`'s gossiper: dial newly learned peers, keep its timer, count.
@MainActor
func settle(_ h: Int, wasFull: Bool) {
  for event in hosts[h].gossiper.takeEvents() {
    guard case .learned(let id, _) = event, let other = index[id] else { continue }
    if hosts[h].dialing.insert(id).inserted {
      queue.push(now + random.millis(20, 100), .connect(h, other))
    }
  }
  if !wasFull, hosts[h].gossiper.topology.count == count { fullTopologies += 1 }
  if let wake = hosts[h].gossiper.nextWakeup?.nanoseconds {
    let at = max(wake, now)
    if at < hosts[h].scheduledTick {
      hosts[h].scheduledTick = at
      queue.push(at, .tick(h))
    }
  }
}

/// Ticks host `h` now with its current sessions.
@MainActor
func tick(_ h: Int) {
  let wasFull = hosts[h].gossiper.topology.count == count
  let out = hosts[h].gossiper.tick(
    now: MeshInstant(nanoseconds: now), neighbors: hosts[h].sessions, random: &random)
  send(out, from: h)
  settle(h, wasFull: wasFull)
}

/// Establishes the session a–b (both sides at once) and republishes both records.
@MainActor
func connect(_ a: Int, _ b: Int) {
  let idA = hosts[a].record.id
  let idB = hosts[b].record.id
  guard a != b, hosts[a].sessions.binarySearchInsert(idB) else { return }
  _ = hosts[b].sessions.binarySearchInsert(idA)
  hosts[a].dialing.insert(idB)
  hosts[b].dialing.insert(idA)
  for h in [a, b] {
    if hosts[h].sessions.count == count - 1 { fullSessions += 1 }
    hosts[h].record.connections = hosts[h].sessions
    hosts[h].record.version = now
    try! hosts[h].gossiper.setLocal(hosts[h].record, now: MeshInstant(nanoseconds: now))
    tick(h)
  }
}

extension Array where Element == PeerID {
  /// Inserts `id` in sorted position; false when already present.
  mutating func binarySearchInsert(_ id: PeerID) -> Bool {
    var low = 0
    var high = count
    while low < high {
      let mid = (low + high) / 2
      if self[mid] == id { return false }
      if self[mid] < id { low = mid + 1 } else { high = mid }
    }
    insert(id, at: low)
    return true
  }
}

/// Runs events until `until` (simulated ns) or until `stop` says so.
@MainActor
func run(until: UInt64, stop: () -> Bool = { false }) {
  while let event = queue.pop() {
    if event.time > until {
      queue.push(event.time, event.kind)
      now = until
      return
    }
    now = event.time
    switch event.kind {
    case .deliver(let to, let from, let messages):
      let wasFull = hosts[to].gossiper.topology.count == count
      let fromID = hosts[from].record.id
      for bytes in messages {
        let out = hosts[to].gossiper.received(
          bytes: bytes, from: fromID, now: MeshInstant(nanoseconds: now), wall: now)
        send(out, from: to, cause: Int(bytes[0] & 0x0F))
      }
      settle(to, wasFull: wasFull)
    case .connect(let a, let b):
      connect(a, b)
    case .tick(let h):
      guard hosts[h].scheduledTick == event.time else { continue }
      hosts[h].scheduledTick = .max
      tick(h)
    }
    if stop() { return }
  }
}

@MainActor
func totals() -> (messages: Int, bytes: Int) {
  hosts.reduce((0, 0)) {
    ($0.0 + $1.gossiper.stats.messagesSent, $0.1 + $1.gossiper.stats.bytesSent)
  }
}

@MainActor
func agreed() -> Bool {
  let first = hosts[0].gossiper.topology.summary(mode: .versions)
  return hosts.allSatisfy { $0.gossiper.topology.summary(mode: .versions) == first }
}

let wallStart = SystemClock().now()
print("mesh-sim: \(count) hosts, seed \(seed)")
for h in 1..<count {
  hosts[h].dialing.insert(hosts[0].record.id)
  queue.push(now + random.millis(20, 100), .connect(h, 0))
}
for h in 0..<count { queue.push(now, .tick(h)) }
let limit = start.nanoseconds + 600 * 1_000_000_000
run(until: limit) { fullTopologies == count && fullSessions == count }
let converged = Double(now - start.nanoseconds) / 1e9
let atConvergence = totals()
print("converged (all records everywhere, full mesh): \(converged) s simulated")
print(
  "to converge, per host: \(atConvergence.messages / count) messages, "
    + "\(atConvergence.bytes / count / 1024) KiB sent")
// Let in-flight versions settle; check agreement every 100 ms.
var agreedAt = now
while !agreed() && now < limit {
  run(until: now + 100_000_000)
  agreedAt = now
}
print(
  "bytes by kind (1 records, 2 digest, 3 request, 4 summary): \(kindBytes.sorted { $0.key < $1.key })"
)
print(
  "record bytes by cause (0 tick, 1 records, 2 digest, 3 request): \(causeBytes.sorted { $0.key < $1.key })"
)
let merged = hosts.reduce(0) { $0 + $1.gossiper.stats.recordsMerged }
let stale = hosts.reduce(0) { $0 + $1.gossiper.stats.staleSegments }
print("records merged per host: \(merged / count), stale segments per host: \(stale / count)")
print("every host holds identical versions: \(Double(agreedAt - start.nanoseconds) / 1e9) s")
let steadyStart = totals()
let steadyFrom = now
run(until: now + 300 * 1_000_000_000)
let steadyEnd = totals()
let seconds = Double(now - steadyFrom) / 1e9
print(
  "steady state over \(Int(seconds)) s: "
    + "\(Double(steadyEnd.bytes - steadyStart.bytes) / Double(count) / seconds) bytes/s per host, "
    + "\(Double(steadyEnd.messages - steadyStart.messages) / Double(count) / seconds) msg/s per host"
)
print("still agreed: \(agreed()); wall time \(SystemClock().now().seconds(since: wallStart)) s")
