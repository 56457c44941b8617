import Dispatch
import Logging
import MeshIO
import MeshLogic
import MeshProtocol
import MeshTypes
import Synchronization

/// The embeddable mesh host: a TAP on a Linux bridge, a UDP socket, and the engine that joins
/// them to the other hosts.
///
/// `start()` opens the devices and starts one data thread that owns the engine: it reads the
/// TAP and the socket, encrypts and switches, and runs the timers. Every other call posts a
/// command to that thread, so the per-packet path takes no lock and makes no actor hop.
///
/// ```swift
/// let node = MeshNode(configuration: config)
/// try node.start()
/// node.connect(Endpoint("192.0.2.2:6786")!)
/// for await event in node.events { print(event) }
/// ```
public final class MeshNode: @unchecked Sendable {
  /// The configuration the node was created with.
  public let configuration: MeshNodeConfiguration
  /// This host's ID.
  public let id: PeerID
  /// Events from the engine: peers up and down, rekeys, roaming.
  public let events: AsyncStream<MeshEvent>
  let eventSink: AsyncStream<MeshEvent>.Continuation
  let logger: Logger

  /// The MTU applied to the TAP and the bridge (known once started).
  public private(set) var mtu: Int?
  /// The underlay endpoint the socket is bound to (the real port when 0 was asked for),
  /// known while the node runs.
  public private(set) var localEndpoint: Endpoint?
  /// The running data thread's mailbox; nil before `start()` and after `stop()`.
  var mailbox: NodeMailbox?
  var thread: OSThread?
  var stopped = false
  /// Writes state files and applies claims off the data thread.
  let stateWriter = DispatchQueue(label: "meshd.state-writer")
  /// Resolves host names again (blocking lookups) off the data thread.
  let resolver = DispatchQueue(label: "meshd.resolver")

  /// Creates a node; nothing is opened until `start()`.
  public init(configuration: MeshNodeConfiguration) {
    self.configuration = configuration
    self.id = configuration.engine.privateKey.publicKey.peerID
    self.logger = configuration.logger
    (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
  }

  deinit { stop() }

  /// The MAC address of this host's TAP: derived from its public key, so that restarts change
  /// no MAC and neighbours' ARP caches stay valid.
  public static func tapMAC(for key: PublicKey) -> MACAddress {
    let h = Blake2b.hash(Array("meshd tap mac".utf8) + key.bytes, outputLength: 32)
    // Locally administered, unicast.
    return MACAddress((h[0] & 0xFC) | 0x02, h[1], h[2], h[3], h[4], h[5])
  }

  /// Opens the TAP and joins it to the bridge (creating the bridge if needed), binds the
  /// socket, and starts the data thread. Throws a clear error when a device or the socket
  /// cannot be set up.
  public func start() throws {
    precondition(thread == nil, "MeshNode.start() called twice")
    do {
      try startDevices()
    } catch let e as SystemError where e.isPermissionDenied {
      throw MeshNodeError.notPermitted(e.description)
    } catch TapError.permissionDenied {
      throw MeshNodeError.notPermitted("opening /dev/net/tun")
    }
  }

  func startDevices() throws {
    let c = configuration
    let netlink = try RouteNetlink()
    _ = try netlink.ensureBridge(name: c.bridge)
    var tap = try TapDevice(name: c.tapName, nonBlocking: true, virtioHeader: c.offloads)
    if c.offloads {
      do {
        try tap.enableOffloads(segmentation: true)
      } catch {
        logger.warning("TAP offloads refused, using plain frames: \(error)")
        tap.close()
        tap = try TapDevice(name: c.tapName, nonBlocking: true)
      }
    }
    let mtu = c.effectiveMTU
    self.mtu = mtu
    let tapMAC = MeshNode.tapMAC(for: c.engine.privateKey.publicKey)
    try MeshNode.configureTap(tap.name, mac: tapMAC, mtu: mtu, bridge: c.bridge, netlink: netlink)
    var options = UDPSocket.Options()
    options.nonBlocking = true
    let socket = try UDPSocket(bindingTo: c.listen, options: options)
    let udpOffloads = c.udpOffloads && socket.probeSegmentationOffload()
    if udpOffloads { socket.enableReceiveOffload() }

    var engineConfig = c.engine
    engineConfig.acceptsOffloadedFrames = tap.hasVirtioHeader
    engineConfig.underlayMTU = UnderlayMTU.detect(listen: c.listen, exclude: [c.bridge, c.tapName])
    engineConfig.ipam = c.ipam
    engineConfig.ipamClaim = try c.stateDirectory?.loadClaim()
    if let claim = engineConfig.ipamClaim, let plan = c.ipam {
      // Restarted with a claim: the bridge gets its address back at once.
      MeshNode.applyClaim(claim, plan: plan, configuration: c, logger: logger)
    }
    if engineConfig.advertisedEndpoints.isEmpty {
      engineConfig.advertisedEndpoints = MeshNode.announcedEndpoints(
        c, port: socket.localEndpoint.port)
    }
    let clock = SystemClock()
    var engine = MeshEngine(configuration: engineConfig, clock: clock, random: SystemRandom())
    // The TAP's and the bridge's own MACs live here for good: no member may source frames
    // from them (a forged source would otherwise move them, in the mesh's table and in the
    // kernel bridge's, to the TAP's port).
    var local: Set<MACAddress> = [MeshNode.tapMAC(for: c.engine.privateKey.publicKey)]
    if let bridgeMAC = try? netlink.linkInfo(name: c.bridge)?.mac { local.insert(bridgeMAC) }
    engine.pinLocalMACs(local)
    var remembered = try c.stateDirectory?.loadKnownPeerEntries() ?? []
    remembered.removeAll { known in
      guard let why = known.endpoint.unreachableReason(from: c.listen) else { return false }
      logger.warning("known peer \(known.endpoint) skipped: \(why)")
      return true
    }
    for p in c.peers { engine.connect(p, now: clock.now()) }
    for known in remembered { engine.connect(known, now: clock.now()) }
    for (host, endpoints) in c.peerHosts.sorted(by: { $0.key.description < $1.key.description }) {
      engine.connect(host, resolvedTo: endpoints, now: clock.now())
    }
    let mailbox = try NodeMailbox()
    var setup = NodeLoopSetup(
      tunnel: tap, socket: socket, peerSockets: UDPSocketFactory(receiveOffload: udpOffloads),
      clock: clock, mailbox: mailbox, logger: logger)
    setup.reports = reports(mailbox: mailbox)
    prepareNames(&engine, &setup.reports)
    setup.busyPollNanoseconds = Int64(c.busyPollMicroseconds) * 1000
    setup.udpSegmentation = udpOffloads
    // A segment must fit the underlay's path MTU: the mesh MTU plus what a frame costs there.
    setup.maxSegmentSize =
      mtu + MeshNodeConfiguration.overhead(ipv6: socket.isIPv6) - (socket.isIPv6 ? 48 : 28)
    let coalesce = c.udpOffloads && tap.probeUDPSegmentation()
    setup.coalesceUDP = coalesce
    watchDevices(&setup, tap: tap, mac: tapMAC, mtu: mtu, netlink: netlink)
    let loop = try NodeLoop(engine: engine, setup: setup)
    logger.info(
      "mesh node up",
      metadata: [
        "id": "\(id)", "tap": "\(tap.name)", "offloads": "\(tap.hasVirtioHeader)",
        "udp-offloads": "\(udpOffloads)", "udp-coalescing": "\(coalesce)",
        "bridge": "\(c.bridge)", "mtu": "\(mtu)",
        "listen": "\(socket.localEndpoint)",
      ])
    self.mailbox = mailbox
    localEndpoint = socket.localEndpoint
    do {
      thread = try OSThread.spawn(name: "meshd-data") { loop.run() }
    } catch {
      self.mailbox = nil
      throw error
    }
    startNames(mailbox)
  }

  /// What this host announces: the `--advertise` endpoints, then the listen address, or with
  /// a wildcard listen address the addresses of its interfaces (not loopback, link-local,
  /// nor the mesh's own bridge and TAP), at most `WireLimits.maxEndpoints`.
  static func announcedEndpoints(_ c: MeshNodeConfiguration, port: UInt16) -> [Endpoint] {
    var result = c.advertise
    if c.listen.isUnspecified {
      result += InterfaceAddresses.announceable(
        port: port, exclude: [c.bridge, c.tapName], includeIPv6: c.listen.isIPv6)
    } else {
      result.append(c.listen)
    }
    var unique: [Endpoint] = []
    for e in result where !unique.contains(e) { unique.append(e) }
    return Array(unique.prefix(WireLimits.maxEndpoints))
  }

  /// Where the data thread reports: events to `events`, claims and known peers to the state
  /// writer. The closures hold no reference to the node.
  func reports(mailbox: NodeMailbox) -> NodeReports {
    var reports = NodeReports()
    let sink = eventSink
    let stateWriter = self.stateWriter
    let resolver = self.resolver
    let configuration = self.configuration
    let logger = self.logger
    let ipv4Only = !configuration.listen.isIPv6
    reports.event = { event in
      if case .resolveName(let host) = event {
        // getaddrinfo blocks: never on the data thread.
        resolver.async {
          do {
            let endpoints = try NameResolver.resolve(host, ipv4Only: ipv4Only)
            _ = mailbox.post(.resolved(host, endpoints))
          } catch {
            logger.warning("\(error); retrying while \(host) stays unreachable")
          }
        }
      }
      sink.yield(event)
    }
    if let plan = configuration.ipam {
      reports.subnetClaimed = { claim in
        stateWriter.async {
          MeshNode.applyClaim(claim, plan: plan, configuration: configuration, logger: logger)
        }
      }
    }
    if let directory = configuration.stateDirectory {
      reports.knownPeersChanged = { endpoints in
        stateWriter.async {
          do {
            try directory.saveKnownPeers(endpoints)
          } catch {
            logger.error("cannot save known peers: \(error)")
          }
        }
      }
    }
    return reports
  }

  /// Persists a new IPAM claim and gives the bridge the claim's bridge address, when the
  /// bridge has no address of the cluster range or only the one of an earlier claim (an
  /// address the operator set is left alone).
  static func applyClaim(
    _ claim: SubnetClaim, plan: IPAMPlan, configuration c: MeshNodeConfiguration, logger: Logger
  ) {
    do {
      try c.stateDirectory?.saveClaim(claim)
      let netlink = try RouteNetlink()
      let wanted = plan.bridgeAddress(for: claim.subnet)
      let current = try netlink.ipv4Addresses(link: c.bridge)
      if current.contains(wanted) { return }
      let inRange = current.filter { plan.range.contains($0.address) }
      // An address meshd set looks exactly like a claim's bridge address.
      let ours = inRange.filter { $0 == plan.bridgeAddress(for: $0.withPrefix(plan.subnetSize)) }
      guard inRange.count == ours.count, current.count == inRange.count else {
        logger.notice("bridge \(c.bridge) keeps its own address; subnet \(claim.subnet) claimed")
        return
      }
      for old in ours { try netlink.deleteIPv4Address(link: c.bridge, old) }
      try netlink.addIPv4Address(link: c.bridge, wanted)
      logger.info("subnet \(claim.subnet) claimed; bridge \(c.bridge) is \(wanted)")
    } catch {
      logger.error("cannot apply subnet claim \(claim.subnet): \(error)")
    }
  }

  /// Stops the data thread and closes the TAP (which removes it from the bridge) and the
  /// socket. The bridge stays. Safe to call more than once.
  public func stop() {
    guard let t = thread, !stopped else { return }
    stopped = true
    configuration.names?.stopWatching()
    post(.stop)
    t.join()
    thread = nil
    mailbox = nil
    localEndpoint = nil
    eventSink.finish()
  }

  /// Replaces the cluster secrets (current first) and the allow-list at run time: secret
  /// rotation with no downtime, and removing a host from a strict-mode cluster. Peers no
  /// longer allowed are cut off at once.
  public func reload(clusterSecrets: [SymmetricKey], allowedKeys: Set<PublicKey>?) {
    precondition(!clusterSecrets.isEmpty)
    post(.reload(clusterSecrets, allowedKeys))
  }

  /// Starts connecting to `endpoint`, retrying until `forget`.
  public func connect(_ endpoint: Endpoint) { post(.connect(endpoint)) }

  /// Starts connecting to `host`, resolved to `endpoints` by the caller; a name is resolved
  /// again while its peer stays unreachable.
  public func connect(_ host: HostPort, resolvedTo endpoints: [Endpoint]) {
    post(.connectHost(host, endpoints))
  }

  /// Stops connecting to `host` (every endpoint it resolved to) and drops the peer there, on a
  /// plain thread. Returns whether one was known.
  public func forgetBlocking(_ host: HostPort, resolvedTo endpoints: [Endpoint]) -> Bool {
    askBlocking { .forgetHost(host, endpoints, $0) }
  }

  /// Why this node cannot connect to `endpoint` (its socket's address family cannot reach
  /// it), or nil when it can; `connect` callers such as the control API ask first.
  public func connectRefusal(_ endpoint: Endpoint) -> String? {
    endpoint.unreachableReason(from: configuration.listen)
  }

  /// Stops connecting to `endpoint` and drops the peer there. Returns whether one was known.
  public func forget(_ endpoint: Endpoint) async -> Bool {
    await ask { .forget(endpoint, $0) }
  }

  /// A snapshot of the node's peers, sessions and counters.
  public func status() async -> MeshStatus {
    await ask { .status($0) }
  }

  /// `status()` for callers on a plain thread, such as the control socket's.
  public func statusBlocking() -> MeshStatus {
    askBlocking { .status($0) }
  }

  /// Releases the subnet of a host gone for good. With an operator key (one this host and the
  /// others trust), a signed tombstone spreads the release through gossip; without, it is
  /// local. Blocks until the data thread answered.
  public func releaseBlocking(_ peer: PeerID, operatorKey: OperatorKey? = nil)
    -> MeshEngine.ReleaseOutcome
  {
    askBlocking { .release(peer, operatorKey, $0) }
  }

  /// `forget(_:)` for callers on a plain thread.
  public func forgetBlocking(_ endpoint: Endpoint) -> Bool {
    askBlocking { .forget(endpoint, $0) }
  }

  /// Posts the request `make` builds around its reply closure and waits for the answer.
  func ask<T: Sendable>(_ make: (@escaping @Sendable (T) -> Void) -> NodeCommand) async -> T {
    await withCheckedContinuation { k in post(make { k.resume(returning: $0) }) }
  }

  /// `ask` for callers on a plain thread: blocks until the data thread answered.
  func askBlocking<T: Sendable>(_ make: (@escaping @Sendable (T) -> Void) -> NodeCommand) -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<T?>(nil)
    post(
      make { value in
        result.withLock { $0 = value }
        done.signal()
      })
    done.wait()
    return result.withLock { $0! }
  }

  /// Hands `command` to the data thread, or answers it here when no thread runs.
  func post(_ command: NodeCommand) {
    if let mailbox, mailbox.post(command) { return }
    command.answerUnserved {
      // Not started: the status of a fresh engine (no peers, nothing counted).
      let e = MeshEngine(
        configuration: configuration.engine, clock: SystemClock(), random: SystemRandom())
      return e.status(now: SystemClock().now())
    }
  }
}

/// Errors from setting up a node.
public enum MeshNodeError: Error, CustomStringConvertible {
  /// The process lacks CAP_NET_ADMIN (or access to /dev/net/tun).
  case notPermitted(String)

  /// A one-line explanation.
  public var description: String {
    switch self {
    case .notPermitted(let what):
      "not permitted (\(what)): meshd needs CAP_NET_ADMIN; run it as root or grant the capability"
    }
  }
}
