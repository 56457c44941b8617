import Foundation
import MeshCore
import MeshIO
import Synchronization

@testable import MeshLogic

#if canImport(Glibc)
  import Glibc
#endif

/// A mesh member gone bad, driven by the test: a real `MeshEngine` with a key of its own and
/// the cluster secret, in the test process, on a non-blocking UDP socket opened inside one
/// namespace host (a thread enters the namespace to create it; the descriptor keeps that
/// namespace wherever it is used).
///
/// A pump thread feeds received datagrams to the engine, works its handshake queue and ticks
/// it every 100 ms, so the attacker completes normal handshakes and gossip like any member.
/// Through `withEngine` the test then uses the same engine, keys and codecs to send what a
/// member may craft: forged handshake initiations, forged gossip, frames with forged sources.
///
/// Call `stop()` when done (a `defer` right after creating it): it ends the pump thread, which
/// holds the attacker until then, and closes the socket.
final class AttackingMember: @unchecked Sendable {
  /// Where the engine's decisions go: datagrams to the socket, frames and events counted.
  struct Output: EngineOutput {
    /// The attacker's socket.
    let socket: UDPSocket
    /// Datagrams handed to the socket.
    var sent = 0
    /// Sends the socket refused.
    var sendErrors = 0
    /// Frames the engine delivered to this (TAP-less) host.
    var delivered = 0
    /// Events, newest last.
    var events: [MeshEvent] = []

    mutating func send(_ datagram: UnsafeRawBufferPointer, to endpoint: Endpoint) {
      do {
        try socket.send(datagram, to: endpoint)
        sent += 1
      } catch {
        sendErrors += 1
      }
    }

    mutating func deliver(_ frame: UnsafeMutableRawBufferPointer, offload: VirtioNetHeader?) {
      delivered += 1
    }

    mutating func event(_ event: MeshEvent) {
      if events.count < 10_000 { events.append(event) }
    }
  }

  /// The namespace host the attacker's socket lives in.
  let host: NetnsHost
  /// The attacker's own static key.
  let privateKey: PrivateKey
  /// The cluster secret (the attacker is a member).
  let secret: SymmetricKey
  /// The socket's bound endpoint (`host`'s underlay address, the mesh port).
  let endpoint: Endpoint
  /// The attacker's peer ID.
  let id: PeerID
  private let socket: UDPSocket
  private let clock = SystemClock()
  private let lock = NSLock()
  private var engine: MeshEngine
  private var output: Output
  private let running = Atomic<Bool>(true)
  private let finished = DispatchSemaphore(value: 0)
  private var stopped = false

  /// Creates the attacker on `host` with a fresh key and the secret in `secretFile`, binds its
  /// socket inside the host's namespace and starts the pump thread.
  init(host: NetnsHost, secretFile: URL, nickname: String = "mallory") throws {
    self.host = host
    privateKey = PrivateKey.generate()
    secret = try StateDirectory.readSecret(secretFile.path)
    guard let endpoint = Endpoint(host.meshEndpoint) else {
      throw HarnessError("bad endpoint \(host.meshEndpoint)")
    }
    self.endpoint = endpoint
    var options = UDPSocket.Options()
    options.nonBlocking = true
    socket = try NetworkNamespace.run(path: NetworkNamespace.path(named: host.namespace)) {
      try UDPSocket(bindingTo: endpoint, options: options)
    }
    var configuration = MeshEngineConfiguration(
      privateKey: privateKey, nickname: nickname, clusterSecrets: [secret])
    configuration.advertisedEndpoints = [endpoint]
    engine = MeshEngine(configuration: configuration, clock: clock, random: SystemRandom())
    id = engine.id
    output = Output(socket: socket)
    let thread = Thread { [self] in pump() }
    thread.name = "attacker-pump"
    thread.start()
  }

  /// Stops the pump thread and closes the socket. Idempotent.
  func stop() {
    lock.lock()
    let already = stopped
    stopped = true
    lock.unlock()
    guard !already else { return }
    running.store(false, ordering: .relaxed)
    finished.wait()
    socket.close()
  }

  /// Runs `body` with exclusive use of the engine, the current time and the output, between
  /// two turns of the pump.
  func withEngine<R>(
    _ body: (inout MeshEngine, MeshInstant, inout Output) throws -> R
  ) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&engine, clock.now(), &output)
  }

  /// Starts connecting to `peer`'s mesh endpoint, as `meshd connect` would.
  func connect(to peer: NetnsHost) throws {
    guard let target = Endpoint(peer.meshEndpoint) else {
      throw HarnessError("bad endpoint \(peer.meshEndpoint)")
    }
    withEngine { engine, now, _ in engine.connect(target, now: now) }
  }

  /// Whether the attacker has a session up with the host whose peer ID is `id`.
  func isEstablished(with id: PeerID) -> Bool {
    withEngine { engine, _, _ in engine.upPeerEndpoints[id] != nil }
  }

  /// Waits until the attacker has a session up with the host whose peer ID is `id`.
  func requireEstablished(with id: PeerID, timeout: Double = 20) async throws {
    if await !waitUntil(timeout: timeout, { isEstablished(with: id) }) {
      throw HarnessError("the attacker got no session with \(id) within \(timeout) s")
    }
  }

  /// The record of `id` in the attacker's topology (what gossip told it), if any.
  func record(of id: PeerID) -> PeerRecord? {
    withEngine { engine, _, _ in engine.gossiper.topology[id] }
  }

  /// Datagrams the attacker has sent so far.
  var sentCount: Int { withEngine { _, _, out in out.sent } }

  /// Sends encoded gossip messages to `peer` inside the attacker's session with it; returns
  /// how many datagrams left the socket (0 when there is no session).
  @discardableResult
  func sendGossip(_ messages: [[UInt8]], to peer: PeerID) -> Int {
    withEngine { engine, now, out in
      let before = out.sent
      engine.sendGossip(messages.map { (to: peer, bytes: $0) }, now: now, out: &out)
      return out.sent - before
    }
  }

  /// Sends raw bytes (a crafted handshake message, say) from the attacker's socket.
  func sendRaw(_ bytes: [UInt8], to peer: NetnsHost) throws {
    guard let target = Endpoint(peer.meshEndpoint) else {
      throw HarnessError("bad endpoint \(peer.meshEndpoint)")
    }
    try bytes.withUnsafeBytes { try socket.send($0, to: target) }
  }

  /// Switches one crafted Ethernet frame into the mesh as if it came from the attacker's
  /// bridge; returns how many datagrams that sent (one per neighbour the frame went to).
  @discardableResult
  func sendFrame(_ frame: [UInt8]) -> Int {
    withEngine { engine, now, out in
      let before = out.sent
      let buffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: MeshEngine.bufferSize, alignment: 16)
      defer { buffer.deallocate() }
      UnsafeMutableRawBufferPointer(rebasing: buffer[MeshEngine.framePrefix...]).copyBytes(
        from: frame)
      engine.sendFrame(buffer, frameLength: frame.count, now: now, out: &out)
      return out.sent - before
    }
  }

  /// A handshake initiation (wire message 1) that names `victim` as its sender: Noise IXpsk2
  /// message 1 (`e, s`) carries the static key before any Diffie-Hellman, so anyone can write
  /// it for any key. The Noise bytes are computed as Noise does (protocol name, prologue,
  /// `e` mixed into h and ck, then `s` and the payload encrypted under the key derived from
  /// `e` alone), with `payload` inside and a valid mac1 from the cluster secret.
  func forgedInitiation(naming victim: PublicKey, payload: HandshakePayload) throws -> [UInt8] {
    var symmetric = SymmetricState(protocolName: MeshHandshake.pattern.protocolName)
    symmetric.mixHash(MeshHandshake.prologue)
    let ephemeral = PrivateKey.generate().publicKey.bytes
    symmetric.mixHash(ephemeral)
    symmetric.mixKey(ephemeral)
    let encryptedStatic = try symmetric.encryptAndHash(victim.bytes)
    let encryptedPayload = try symmetric.encryptAndHash(try payload.encode())
    let noise = ephemeral + encryptedStatic + encryptedPayload
    var message = try HandshakeInitiation(
      senderIndex: UInt32.random(in: 1...UInt32.max), noise: noise
    )
    .encode()
    let mac1Key = MeshHandshake.mac1Key(secret)
    withEngine { engine, _, _ in _ = engine.writeMac1(&message, key: mac1Key) }
    return message
  }

  /// The pump: receive everything waiting, hand it to the engine, work the handshake queue,
  /// and tick every `MeshEngine.tickInterval`.
  private func pump() {
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: MeshEngine.bufferSize, alignment: 16)
    defer {
      buffer.deallocate()
      finished.signal()
    }
    var nextTick = clock.now()
    while running.load(ordering: .relaxed) {
      var fds = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
      _ = poll(&fds, 1, 20)
      lock.lock()
      var reads = 0
      while reads < 256, let datagram = try? socket.receive(into: buffer) {
        reads += 1
        engine.receive(
          UnsafeMutableRawBufferPointer(rebasing: buffer[0..<datagram.length]),
          from: datagram.from, now: clock.now(), out: &output)
      }
      let now = clock.now()
      engine.processHandshakes(now: now, out: &output)
      if now >= nextTick {
        engine.tick(now: now, out: &output)
        nextTick = now.adding(seconds: MeshEngine.tickInterval)
      }
      lock.unlock()
    }
  }
}
