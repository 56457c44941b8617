import Foundation
import MeshCore
import MeshIO
import Testing

@testable import MeshLogic

extension MeshIntegration {
  /// A member gone bad: the attacker holds the cluster secret and a member key of its own (an
  /// `AttackingMember`, a real engine in the test process on host 3's underlay) and sends
  /// what a member can craft through meshd's own codecs: forged handshake initiations, forged
  /// gossip, frames with forged source MACs, records of invented members. Hosts 1 (A) and 2
  /// (B) run real daemons; each test proves that A and B keep working and what A counted.
  @Suite("A member gone bad")
  struct MemberAttackTests {
    /// The IPAM range of the eviction tests: apart from the bridges' own `10.47.0.0/16`, so
    /// a claim changes no bridge address.
    static let ipamArguments = ["--ipam-range", "10.48.0.0/16", "--subnet-size", "24"]

    /// The `(sent, received)` counts of a finished background `ping -q`.
    static func pingCounts(_ process: BackgroundProcess) -> (sent: Int, received: Int) {
      _ = process.waitForExit(timeout: 30)
      return FloodTests.pingCounts(process.log()) ?? (0, 0)
    }

    /// Starts `count` pings from `from` to `address`, one every `interval` seconds.
    static func startPings(
      in net: TestNetwork, from: NetnsHost, to address: String, count: Int,
      interval: Double = 0.25, name: String
    ) throws -> BackgroundProcess {
      try net.spawn(
        in: from, name: name,
        ["ping", "-n", "-q", "-c", "\(count)", "-i", "\(interval)", "-W", "1", address])
    }

    /// A daemon's peer ID and public key, from its status.
    static func identity(_ net: TestNetwork, _ host: NetnsHost) throws -> (PeerID, PublicKey) {
      let status = try net.status(host)
      guard let id = status.peerID.flatMap({ PeerID($0) }), let text = status.publicKey else {
        throw HarnessError("no peer ID or key in the status of \(host)")
      }
      return (id, try PublicKey(base64: text))
    }

    /// The parts of `meshd status --json` the harness's `StatusView` does not read: this
    /// host's subnet and every claim it holds, by peer ID.
    static func claims(_ net: TestNetwork, _ host: NetnsHost) throws -> (
      own: String?, byPeer: [String: String]
    ) {
      guard let daemon = net.meshd(on: host) else { throw HarnessError("no meshd on \(host)") }
      let result = try daemon.control(["status", "--json"])
      guard result.succeeded,
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
          as? [String: Any]
      else { throw HarnessError("status on \(host) failed:\n\(result)") }
      var byPeer: [String: String] = [:]
      for claim in object["claims"] as? [[String: Any]] ?? [] {
        if let peer = claim["peer_id"] as? String, let subnet = claim["subnet"] as? String {
          byPeer[peer] = subnet
        }
      }
      return (object["subnet"] as? String, byPeer)
    }

    /// The MAC address of `device` in `namespace`.
    static func macAddress(of device: String, in host: NetnsHost) throws -> MACAddress {
      let result = try host.run(["cat", "/sys/class/net/\(device)/address"]).check()
      guard let mac = MACAddress(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
      else { throw HarnessError("no MAC address for \(device) on \(host): \(result)") }
      return mac
    }

    /// A minimal broadcast frame from `source` (local experimental ethertype, zero payload).
    static func broadcastFrame(from source: MACAddress) -> [UInt8] {
      var frame = [UInt8](repeating: 0xFF, count: 6) + source.octets + [0x88, 0xB5]
      frame += [UInt8](repeating: 0, count: 60 - frame.count)
      return frame
    }

    // MARK: 1. Lock-out by forged initiation

    @Test("a forged initiation naming B, sent to A, neither moves B's endpoint nor locks B out")
    func forgedInitiation() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, m) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret)
      let daemonB = try net.startMeshd(on: b, secret: secret)
      try await net.requireEstablished(a, b)
      try await net.requirePing(from: a, to: b.overlayIP)
      let (idA, _) = try Self.identity(net, a)
      let (idB, keyB) = try Self.identity(net, b)
      let attacker = try AttackingMember(host: m, secretFile: secret)
      defer { attacker.stop() }
      try attacker.connect(to: a)
      try await attacker.requireEstablished(with: idA)

      let before = try net.status(a)
      let handshakesBefore = before.peer(id: idB.description)?.handshakesCompleted ?? -1
      let pings = try Self.startPings(
        in: net, from: a, to: b.overlayIP, count: 40, name: "ping-a-b")
      var forged = 0
      var endpoints: [String] = []
      let start = Date()
      while Date().timeIntervalSince(start) < 10 {
        // From the largest timestamp on, each newer than the last: every one is "fresh".
        let payload = HandshakePayload(
          timestamp: UInt64.max - 1_000 + UInt64(forged), nickname: "b",
          endpoints: [attacker.endpoint])
        try attacker.sendRaw(try attacker.forgedInitiation(naming: keyB, payload: payload), to: a)
        forged += 1
        for _ in 0..<2 {
          try await Task.sleep(nanoseconds: 250_000_000)
          if let endpoint = (try? net.status(a))?.peer(id: idB.description)?.endpoint {
            endpoints.append(endpoint)
          }
        }
      }
      let counts = Self.pingCounts(pings)
      let during = try net.status(a)
      let moved = endpoints.filter { $0 != b.meshEndpoint }
      // The daemon logs every move of a peer's endpoint, so even a move that B's next datagram
      // undoes between two polls shows.
      let daemonA = try #require(net.meshd(on: a))
      let logged = daemonA.process.log().split(separator: "\n").filter {
        $0.contains("endpoint changed: \(idB) now at \(m.underlayIP)")
      }
      print(
        "forged initiation: \(forged) sent to A naming B; A->B pings \(counts.received)/\(counts.sent); "
          + "A's endpoint for B at \(endpoints.count) polls: \(Set(endpoints).sorted()), "
          + "moves to the attacker logged by A: \(logged.count); "
          + "A drops \(during.drops); A's drops for B \(during.peer(id: idB.description)?.drops ?? [:])"
      )
      #expect(
        counts.sent == 40 && counts.received >= 38,
        "A->B pings during the attack: \(counts.received) of \(counts.sent) answered")
      let movedPolls = moved.count
      #expect(
        movedPolls == 0,
        "A's endpoint for B moved away from \(b.meshEndpoint) at \(moved.count) of \(endpoints.count) polls: \(Set(moved))"
      )
      let loggedMoves = logged.count
      #expect(loggedMoves == 0, "A moved B's endpoint to the attacker: \(logged.prefix(2))")
      #expect(endpoints.count >= 30, "only \(endpoints.count) status polls of A")
      let peerB = during.peer(id: idB.description)
      #expect(peerB?.isEstablished == true, "A lost its session with B")
      #expect(
        peerB?.handshakesCompleted == handshakesBefore,
        "a forged initiation completed a handshake for B at A: \(handshakesBefore) -> \(peerB?.handshakesCompleted ?? -1)"
      )

      // B restarts (same key, new timestamps): A must take B's new initiation at once.
      let replayedBefore = during.peer(id: idB.description)?.drops["replayed_initiation"] ?? 0
      try daemonB.restart()
      let renewed = await waitUntil(timeout: 20) {
        guard let s = try? net.status(a), let p = s.peer(id: idB.description) else { return false }
        return p.isEstablished && (p.handshakesCompleted ?? 0) > handshakesBefore
      }
      let after = try net.status(a)
      let replayedAfter = after.peer(id: idB.description)?.drops["replayed_initiation"] ?? 0
      print(
        "B restarted: new session at A \(renewed); replayed_initiation for B at A "
          + "\(replayedBefore) -> \(replayedAfter); A's endpoint for B "
          + "\(after.peer(id: idB.description)?.endpoint ?? "none")")
      #expect(renewed, "A made no new session with the restarted B\n\(net.diagnostics())")
      #expect(
        replayedAfter == replayedBefore,
        "A refused B's new initiations as replayed: \(replayedBefore) -> \(replayedAfter)")
      #expect(after.peer(id: idB.description)?.endpoint == b.meshEndpoint)
      try await net.requirePing(from: a, to: b.overlayIP, timeout: 10)
    }

    // MARK: 2. Eviction by forged gossip

    /// The forged records of B that the attacker gossips to A.
    enum GossipForgery: String, CaseIterable, Sendable {
      /// B departed for good, at the highest version.
      case tombstone
      /// B claims another subnet, claimed earlier than anyone, at the highest version.
      case subnetClaim
      /// B lists no connections at all, at the highest version: no symmetric edge, no route.
      case connections
      /// B's own record as the attacker received it early on, sent after B published newer.
      case replayOld
    }

    @Test(
      "a forged or replayed gossip record of B, sent to A, changes nothing A knows of B",
      arguments: GossipForgery.allCases)
    func forgedGossip(_ forgery: GossipForgery) async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, m) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret, extraArguments: Self.ipamArguments)
      try net.startMeshd(on: b, secret: secret, extraArguments: Self.ipamArguments)
      try await net.requireEstablished(a, b)
      let (idA, _) = try Self.identity(net, a)
      let (idB, keyB) = try Self.identity(net, b)
      var subnetB: String?
      let claimed = await waitUntil(timeout: 20) {
        guard let own = try? Self.claims(net, b).own, let atA = try? Self.claims(net, a) else {
          return false
        }
        subnetB = own
        return atA.byPeer[idB.description] == own
      }
      if !claimed { throw HarnessError("B's claim did not reach A\n\(net.diagnostics())") }

      let attacker = try AttackingMember(host: m, secretFile: secret)
      defer { attacker.stop() }
      try attacker.connect(to: a)
      try await attacker.requireEstablished(with: idA)
      var captured: PeerRecord?
      _ = await waitUntil(timeout: 10, interval: 0.05) {
        captured = attacker.record(of: idB)
        return captured != nil
      }
      guard let early = captured else {
        throw HarnessError("the attacker never learned B's record")
      }
      // B publishes a newer record once the attacker (which dials every member) reaches it.
      var current = early
      let newer = await waitUntil(timeout: 30) {
        current = attacker.record(of: idB) ?? early
        return current.version > early.version && attacker.isEstablished(with: idB)
      }
      if forgery == .replayOld && !newer {
        throw HarnessError("B published no record newer than version \(early.version)")
      }

      // Records are becoming signed by their owner's key; these carry no valid signature of
      // B's (the attacker has only its own key), except the replayed genuine one.
      var record: PeerRecord
      switch forgery {
      case .tombstone:
        record = PeerRecord(
          publicKey: keyB, nickname: current.nickname, version: UInt64.max, departed: true)
      case .subnetClaim:
        record = current
        record.version = UInt64.max
        // Any subnet of the range but B's own.
        let forged = subnetB == "10.48.250.0/24" ? "10.48.251.0/24" : "10.48.250.0/24"
        record.subnet = IPv4Network(forged)
        record.subnetClaimedAt = 1
      case .connections:
        record = current
        record.version = UInt64.max
        record.connections = []
      case .replayOld:
        record = early
      }
      let message = try GossipMessage.records([
        RecordSegment(record: record, totalConnections: record.connections.count, offset: 0)
      ]).encode()

      let before = try net.status(a)
      let pings = try Self.startPings(
        in: net, from: a, to: b.overlayIP, count: 24, name: "ping-a-b")
      var delivered = 0
      for _ in 0..<3 {
        delivered += attacker.sendGossip([message], to: idA)
        try await Task.sleep(nanoseconds: 1_000_000_000)
      }
      let counts = Self.pingCounts(pings)
      try await Task.sleep(nanoseconds: 1_000_000_000)
      let after = try net.status(a)
      let claimsAtA = try Self.claims(net, a).byPeer
      let ownB = try Self.claims(net, b).own
      let route = after.route(to: idB.description)
      print(
        "forged gossip \(forgery.rawValue): B's record version \(early.version) -> \(current.version), "
          + "sent \(delivered) datagrams of \(message.count) bytes to A; A->B pings "
          + "\(counts.received)/\(counts.sent); A: members \(before.members ?? -1) -> "
          + "\(after.members ?? -1), B established \(after.isEstablished(with: idB.description)), "
          + "route to B \(route?.connection ?? "none") hops \(route?.hops ?? -1); "
          + "B's claim at A \(claimsAtA[idB.description] ?? "none") (B says \(ownB ?? "none"))")
      #expect(delivered == 3, "the attacker's gossip did not go out inside its session with A")
      let keepsB = after.isEstablished(with: idB.description)
      #expect(keepsB, "A dropped B\n\(net.diagnostics())")
      #expect(route?.isDirect == true, "A's route to B is \(route?.connection ?? "gone")")
      #expect(
        claimsAtA[idB.description] == subnetB && ownB == subnetB,
        "B's claim changed: at A \(claimsAtA[idB.description] ?? "none"), at B \(ownB ?? "none"), was \(subnetB ?? "none")"
      )
      #expect(
        counts.sent == 24 && counts.received >= 22,
        "A->B pings during the attack: \(counts.received) of \(counts.sent) answered")
      try await net.requirePing(from: b, to: a.overlayIP, timeout: 10)
    }

    // MARK: 3. Blackholing by MAC spoofing

    /// Whose MAC the attacker forges.
    enum SpoofedMAC: String, CaseIterable, Sendable {
      /// A's bridge: B pings A's bridge address.
      case bridgeOfA
      /// A container on B: A pings the container.
      case containerOnB
    }

    @Test(
      "frames with a forged source MAC (A's bridge, a container on B) blackhole nothing",
      arguments: SpoofedMAC.allCases)
    func macSpoofing(_ spoof: SpoofedMAC) async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, m) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret)
      try net.startMeshd(on: b, secret: secret)
      try await net.requireEstablished(a, b)
      let (idA, _) = try Self.identity(net, a)

      // A "container" on B: a namespace on B's bridge, with a fixed MAC and address.
      let ip = try IntegrationEnvironment.ip()
      let container = "\(net.id)c2"
      try Shell.run([ip, "netns", "add", container]).check()
      defer { _ = try? Shell.run([ip, "netns", "del", container], timeout: 10) }
      let containerMAC = "02:00:0c:00:00:02"
      let containerIP = "10.47.2.2"
      for argv in [
        [
          ip, "-n", b.namespace, "link", "add", "mshc0", "type", "veth", "peer", "name", "eth0",
          "netns", container,
        ],
        [ip, "-n", b.namespace, "link", "set", "mshc0", "master", NetnsHost.bridge, "up"],
        [ip, "-n", container, "link", "set", "eth0", "address", containerMAC],
        [ip, "-n", container, "addr", "add", "\(containerIP)/16", "dev", "eth0"],
        [ip, "-n", container, "link", "set", "eth0", "up"],
        [ip, "-n", container, "link", "set", "lo", "up"],
      ] {
        try Shell.run(argv).check()
      }

      let forged: MACAddress
      let (pinger, target): (NetnsHost, String)
      switch spoof {
      case .bridgeOfA:
        forged = try Self.macAddress(of: NetnsHost.bridge, in: a)
        (pinger, target) = (b, a.overlayIP)
      case .containerOnB:
        forged = MACAddress(containerMAC)!
        (pinger, target) = (a, containerIP)
      }
      // Both MACs are in use before the attack: A's bridge answers B, the container answers A.
      try await net.requirePing(from: b, to: a.overlayIP)
      try await net.requirePing(from: a, to: containerIP)

      let attacker = try AttackingMember(host: m, secretFile: secret)
      defer { attacker.stop() }
      try attacker.connect(to: a)
      try await attacker.requireEstablished(with: idA)
      let before = try net.status(a)
      let frame = Self.broadcastFrame(from: forged)
      let pings = try Self.startPings(in: net, from: pinger, to: target, count: 40, name: "ping")
      var frames = 0
      var datagrams = 0
      let start = Date()
      while Date().timeIntervalSince(start) < 10 {
        datagrams += attacker.sendFrame(frame)
        frames += 1
        let next = start.addingTimeInterval(Double(frames) / 50)
        let wait = next.timeIntervalSinceNow
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
      }
      let counts = Self.pingCounts(pings)
      try await Task.sleep(nanoseconds: 500_000_000)
      let after = try net.status(a)
      let conflicts = (after.drops["mac_conflict"] ?? 0) - (before.drops["mac_conflict"] ?? 0)
      let bConflicts = (try? net.status(b))?.drops["mac_conflict"] ?? -1
      print(
        "MAC spoofing \(spoof.rawValue) (\(forged)): \(frames) frames in 10 s, \(datagrams) "
          + "datagrams; pings \(pinger) -> \(target): \(counts.received)/\(counts.sent); "
          + "mac_conflict drops at A +\(conflicts), at B \(bConflicts); A drops \(after.drops)")
      #expect(
        counts.sent == 40 && counts.received >= 38,
        "pings \(pinger) -> \(target) during the attack: \(counts.received) of \(counts.sent)")
      #expect(
        Double(conflicts) >= 0.9 * Double(frames),
        "A counted \(conflicts) mac_conflict drops for \(frames) forged frames")
    }

    // MARK: 4. Dialling on command

    @Test("100 invented members at silent addresses: A dials each at most 3 times, saves none")
    func dialsOnCommand() async throws {
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, m) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      let daemonA = try net.startMeshd(on: a, peers: [b], secret: secret)
      let daemonB = try net.startMeshd(on: b, secret: secret)
      try await net.requireEstablished(a, b)
      let (idA, _) = try Self.identity(net, a)

      // 100 addresses on A's segment that never answer: A sends to a MAC nobody has (a
      // permanent neighbour entry, so the datagrams leave A and show in a capture).
      let ghosts = (0..<100).map { "192.0.2.\(100 + $0)" }
      let batch = ghosts.map {
        "neigh replace \($0) lladdr 02:00:de:ad:00:01 dev \(NetnsHost.underlayDevice) nud permanent"
      }.joined(separator: "\n")
      try Shell.run(
        [try IntegrationEnvironment.ip(), "-n", a.namespace, "-batch", "-"], stdin: batch + "\n"
      ).check()

      let attacker = try AttackingMember(host: m, secretFile: secret)
      defer { attacker.stop() }
      try attacker.connect(to: a)
      try await attacker.requireEstablished(with: idA)

      let capture = try await PacketCapture(
        in: net, namespace: a.namespace, interface: NetnsHost.underlayDevice, name: "a-dials")
      let version = SystemClock().wallNanoseconds()
      // Each invented member is signed by its own (invented) key: signatures cannot stop
      // this; the dial budget and the verification before saving must.
      let records = ghosts.enumerated().map { index, address in
        let key = PrivateKey.generate()
        return PeerRecord(
          publicKey: key.publicKey, nickname: "ghost\(index)",
          endpoints: [Endpoint("\(address):\(NetnsHost.meshPort)")!], version: version
        ).signed(
          with: key, random: (0..<XEdDSA.randomLength).map { _ in UInt8.random(in: 0...255) })
      }
      let messages = GossipMessage.pack(records)
      let delivered = attacker.sendGossip(messages, to: idA)
      #expect(delivered == messages.count, "sent \(delivered) of \(messages.count) gossip messages")
      try await Task.sleep(nanoseconds: 25_000_000_000)
      let members = (try? net.status(a))?.members ?? -1
      capture.stop()
      let perAddress = try Self.datagrams(in: capture.file, from: a.underlayIP, to: Set(ghosts))
      let total = perAddress.values.reduce(0, +)
      let most = perAddress.max { $0.value < $1.value }
      let saved = daemonA.knownPeers().filter { entry in
        ghosts.contains { entry.hasPrefix("\($0):") || entry == $0 }
      }
      print(
        "dialling on command: \(records.count) invented members in \(messages.count) gossip "
          + "messages; A lists \(members) members; in 25 s A sent \(total) datagrams to "
          + "\(perAddress.count) of the silent addresses, at most \(most?.value ?? 0) to one "
          + "(\(most?.key ?? "-")); known-peers holds \(saved.count) of them")
      #expect(
        (most?.value ?? 0) <= 3,
        "A sent \(most?.value ?? 0) datagrams to \(most?.key ?? "-") (more than 3)")
      #expect(total <= 3 * ghosts.count, "A sent \(total) datagrams to the silent addresses")
      let savedCount = saved.count
      #expect(savedCount == 0, "A saved invented members in known-peers: \(saved.prefix(3))…")

      // After a restart (with nobody left to gossip the invented members again) A dials none.
      attacker.stop()
      daemonB.stop()
      let restartCapture = try await PacketCapture(
        in: net, namespace: a.namespace, interface: NetnsHost.underlayDevice, name: "a-restart")
      try daemonA.restart()
      try await Task.sleep(nanoseconds: 10_000_000_000)
      restartCapture.stop()
      let afterRestart = try Self.datagrams(
        in: restartCapture.file, from: a.underlayIP, to: Set(ghosts))
      let restartTotal = afterRestart.values.reduce(0, +)
      print(
        "after A's restart: \(restartTotal) datagrams to \(afterRestart.count) silent addresses in 10 s"
      )
      #expect(daemonA.isRunning, "A did not come back\n\(net.diagnostics())")
      #expect(
        restartTotal == 0,
        "A dialled \(afterRestart.count) invented members after its restart (\(restartTotal) datagrams)"
      )
    }

    /// UDP datagrams in a capture from `source` to each of `destinations`, by destination.
    static func datagrams(in file: URL, from source: String, to destinations: Set<String>) throws
      -> [String: Int]
    {
      let result = try Shell.run(
        ["tcpdump", "-r", file.path, "-n", "udp and src host \(source)"], timeout: 60)
      guard result.succeeded else { throw HarnessError("reading \(file.path) failed:\n\(result)") }
      var counts: [String: Int] = [:]
      // "12:00:00.000000 IP 192.0.2.1.6786 > 192.0.2.150.6786: UDP, length 148"
      for line in result.stdout.split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard let arrow = fields.firstIndex(of: ">"), arrow + 1 < fields.count else { continue }
        let target = fields[arrow + 1].dropLast()  // the trailing ":"
        let address = target.split(separator: ".").prefix(4).joined(separator: ".")
        if destinations.contains(address) { counts[address, default: 0] += 1 }
      }
      return counts
    }
  }
}
