import ArgumentParser
import Logging
import MeshAPI
import MeshCore
import MeshIO
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// `meshd up`: the daemon, in the foreground, until SIGTERM, SIGINT or SIGQUIT.
struct Up: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "up", abstract: "Run the mesh daemon in the foreground.")

  @Option(help: "The Linux bridge to join (created if missing).")
  var bridge: String = "br0"

  @Option(help: "The cluster secret file (base64, mode 0600).")
  var secretFile: String

  @Option(help: "A second secret accepted during rotation (base64, mode 0600).")
  var nextSecretFile: String?

  @Option(
    help: "Strict mode: only these public keys may join (one base64 key a line). SIGHUP reloads.")
  var allowedKeysFile: String?

  @Option(help: "The UDP address and port to listen on.")
  var listen: String = "0.0.0.0:6786"

  @Option(help: "The state directory: identity key and known peers.")
  var stateDir: String = "/var/lib/meshd"

  @Option(help: "The control socket.")
  var socket: String = defaultSocketPath

  @Option(help: "A group (name or number) for the control socket (mode 0660).")
  var socketGroup: String?

  @Option(
    name: .customLong("peer"),
    help:
      "A peer to connect to, HOST[:PORT] with HOST a host name or an IP address ([V6]:PORT); repeatable."
  )
  var peers: [String] = []

  @Option(
    name: .customLong("advertise"),
    help:
      "An ADDRESS:PORT to announce to the mesh (a public or forwarded address); repeatable.")
  var advertise: [String] = []

  @Option(help: "The TAP device's name.")
  var tap: String = "meshtap0"

  @Option(help: "The MTU of the TAP and the bridge (default: derived from a 1500-byte underlay).")
  var mtu: Int?

  @Option(help: "The host name announced to peers (default: this host's name).")
  var nickname: String?

  @Option(help: "The cluster's IPAM range, such as 10.47.0.0/16: each host claims a subnet of it.")
  var ipamRange: String?

  @Option(help: "The prefix length of each host's IPAM subnet (with --ipam-range; default 24).")
  var subnetSize: Int?

  @Flag(
    help: "Turn off the TAP offloads (checksum and TCP segmentation), which are probed at start.")
  var noOffloads = false

  @Flag(
    help:
      "Turn off the UDP offloads (UDP_SEGMENT sends, UDP_GRO receives), which are probed at start.")
  var noUDPOffloads = false

  @Option(
    name: .customLong("busy-poll-us"),
    help: "Microseconds the data thread keeps polling after traffic before it sleeps (0: off).")
  var busyPollMicroseconds: Int = Up.defaultBusyPoll

  @Option(
    name: .customLong("operator-key"),
    help:
      "An operator's public key (from meshd operator-pubkey): releases it signs spread mesh-wide; repeatable."
  )
  var operatorKeys: [String] = []

  @OptionGroup var dns: DNSOptions

  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String = "info"

  @OptionGroup(title: "Service discovery (names)") var names: NameOptions
  @Option(
    help: ArgumentHelp(
      "Write dockerd's options (MESHD_DOCKER_OPTS=...) to this environment file once ready.",
      valueName: "path"))
  var dockerEnvFile: String?

  @OptionGroup(title: "Operations") var operations: OperationsOptions

  /// Debug flag for tests and soak runs, hidden from `--help`: rekey every N seconds instead
  /// of WireGuard's 120 s, so a short test sees many handshakes. Not for production.
  @Option(
    name: .customLong("debug-rekey-after-seconds"),
    help: ArgumentHelp(
      "Debug only: rekey every N seconds instead of every 120 s (for tests).",
      visibility: .hidden))
  var debugRekeyAfterSeconds: Double?

  func validate() throws {
    if let nickname, !DisplayText.isValid(nickname, maxBytes: WireLimits.maxNickname) {
      throw ValidationError(
        "--nickname must be 1 to \(WireLimits.maxNickname) bytes of UTF-8 with no control characters"
      )
    }
    for key in operatorKeys where (try? OperatorPublicKey(base64: key)) == nil {
      throw ValidationError("--operator-key \(key) is not a base64 Ed25519 public key")
    }
    guard let listenEndpoint = Endpoint(listen) else {
      throw ValidationError("--listen \(listen) is not ADDRESS:PORT (an IP address)")
    }
    for p in peers {
      guard let peer = HostPort(p) else {
        throw ValidationError(
          "--peer \(p) is not HOST[:PORT] with HOST a host name or an IP address")
      }
      if let literal = peer.literal, let why = literal.unreachableReason(from: listenEndpoint) {
        throw ValidationError("--peer \(p) cannot be reached from --listen \(listen): \(why)")
      }
    }
    if advertise.count > WireLimits.maxEndpoints {
      throw ValidationError("at most \(WireLimits.maxEndpoints) --advertise endpoints")
    }
    for a in advertise {
      guard let endpoint = Endpoint(a), !endpoint.isUnspecified else {
        throw ValidationError("--advertise \(a) is not ADDRESS:PORT (an IP address, not 0.0.0.0)")
      }
    }
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "--log-level \(logLevel) is not one of "
          + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
    }
    if subnetSize != nil, ipamRange == nil {
      throw ValidationError("--subnet-size needs --ipam-range (it sizes the IPAM subnets)")
    }
    if let socketGroup, SystemGroup.id(socketGroup) == nil {
      throw ValidationError(
        "--socket-group \(socketGroup) names no group (give a group name or ID)")
    }
    if let mtu, !(576...65535).contains(mtu) {
      throw ValidationError("--mtu must be between 576 and 65535")
    }
    guard (0...1_000_000).contains(busyPollMicroseconds) else {
      throw ValidationError("--busy-poll-us must be between 0 and 1000000")
    }
    guard !tap.isEmpty, tap.utf8.count < 16 else {
      throw ValidationError("--tap must be 1 to 15 characters")
    }
    if let v = debugRekeyAfterSeconds, !(v > 0 && v <= 3600) {
      throw ValidationError("--debug-rekey-after-seconds must be more than 0 and at most 3600")
    }
    _ = try ipamPlan()
  }

  /// The IPAM plan from --ipam-range and --subnet-size, nil without --ipam-range.
  func ipamPlan() throws -> IPAMPlan? {
    guard let ipamRange else { return nil }
    guard let range = IPv4Network(ipamRange) else {
      throw ValidationError("--ipam-range \(ipamRange) is not a network (A.B.C.D/N)")
    }
    do {
      return try IPAMPlan(range: range, subnetSize: subnetSize ?? 24)
    } catch {
      throw ValidationError(error.description)
    }
  }

  func run() async throws {
    let (secrets, allowed) = try readSecrets()
    let state = StateDirectory(path: stateDir)
    let key = try state.loadOrCreateKey()
    // The other state files are read once now, so that a bad one (a FIFO, a link, garbage) is
    // refused before any device or socket is touched; the node reads them again as it starts.
    _ = try state.loadKnownPeers()
    _ = try state.loadClaim()

    operations.bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .info)
    let logger = Logger(label: "meshd")

    var engine = MeshEngineConfiguration(
      privateKey: key, nickname: nickname ?? Up.hostName(), clusterSecrets: secrets)
    engine.allowedKeys = allowed
    engine.operatorKeys = Set(operatorKeys.compactMap { try? OperatorPublicKey(base64: $0) })
    if let v = debugRekeyAfterSeconds {
      logger.warning("debug flag: rekeying every \(v) s")
      engine.timers = .rekeying(after: v)
    }
    var config = MeshNodeConfiguration(engine: engine, bridge: bridge, listen: Endpoint(listen)!)
    config.tapName = tap
    config.mtu = mtu
    config.offloads = !noOffloads
    config.udpOffloads = !noUDPOffloads
    config.busyPollMicroseconds = busyPollMicroseconds
    let hosts = peers.compactMap { HostPort($0) }
    config.peers = hosts.compactMap(\.literal)
    config.peerHosts = try Up.resolvePeerNames(hosts.filter(\.isName), listen: Endpoint(listen)!)
    config.advertise = advertise.compactMap { Endpoint($0) }
    config.logger = logger
    config.stateDirectory = state
    config.ipam = try ipamPlan()
    config.names = try names.registry(host: key.publicKey.peerID, state: state)

    // Everything that can be refused is refused here, before the node changes anything: the
    // MTU, the TAP's name, the UDP port, and (binding it) the control socket.
    let preflight = StartupChecks(up: self)
    try preflight.checkMTU()
    let bridgeExisted = try preflight.checkDevices()
    try preflight.checkListenPort()
    let node = MeshNode(configuration: config)
    let facts = HostFactsBox()
    let dnsServer = dns.makeServer(
      bridge: bridge, names: config.names?.directory ?? NameDirectory(), logger: logger)
    // What the status adds to the node's own: the host's settings and the DNS server's state.
    let currentFacts: @Sendable () -> MeshStatus.HostFacts = {
      var f = facts.value
      f.dns = dnsServer?.status()
      return f
    }
    let server: ControlServer
    do {
      server = try ControlServer(
        path: socket, group: socketGroup.flatMap(SystemGroup.id), node: node, logger: logger,
        facts: currentFacts)
    } catch {
      throw CLIError("--socket \(socket): cannot listen there: \(error)")
    }
    let metrics: MetricsServer?
    let firewall: HostFirewall?
    do {
      metrics = try operations.metricsServer(node: node, facts: currentFacts, logger: logger)
      // The firewall goes in before the TAP joins the bridge: the host is never open by
      // mistake.
      firewall = try operations.installFirewall(bridge: bridge, tap: tap, logger: logger)
    } catch {
      preflight.removeBridge(ifCreated: !bridgeExisted)
      throw error
    }
    if let plan = config.ipam {
      logger.info("IPAM plan \(plan.range) in /\(plan.subnetSize) subnets")
    }
    server.firewall = firewall
    // SIGHUP and SIGUSR1 are trapped before the node starts, so neither can kill a daemon
    // that has just come up (SIGUSR1's default action would, leaving its socket behind).
    let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1)
    do {
      try node.start()
    } catch {
      try? firewall?.remove()
      server.stop()
      preflight.removeBridge(ifCreated: !bridgeExisted)
      throw preflight.explain(error)
    }
    facts.value = MeshStatus.HostFacts(
      listen: node.localEndpoint?.description ?? listen, bridge: bridge, tap: tap,
      mtu: node.mtu ?? config.effectiveMTU, ipamRange: config.ipam?.range)
    do {
      try server.start()
      try metrics?.start()
    } catch {
      server.stop()
      node.stop()
      try? firewall?.remove()
      throw error
    }
    logger.info("control socket at \(socket)")
    if let metrics { logger.info("metrics at http://\(metrics.endpoint)/metrics") }
    do {
      try dnsServer?.start()
    } catch {
      logger.error("DNS server not started: \(error)")
    }

    let service = MeshService(
      node: node, server: server, logger: logger, signals: signals, reload: readSecrets)
    // Readiness (systemd's READY=1, the Docker environment file) ends with the daemon: its
    // own end never ends the group.
    let readiness = ReadinessService(
      node: node, facts: currentFacts, notifier: ServiceNotifier.fromEnvironment(),
      environmentFile: dockerEnvFile, logger: logger)
    let group = ServiceGroup(
      configuration: .init(
        services: [
          .init(service: service),
          .init(
            service: readiness, successTerminationBehavior: .ignore,
            failureTerminationBehavior: .ignore),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint, .sigquit],
        logger: logger))
    // However the group ends, the socket file goes with the daemon.
    defer {
      metrics?.stop()
      dnsServer?.stop()
      server.stop()
      node.stop()
      do { try firewall?.remove() } catch {
        logger.error("cannot remove the host firewall: \(error)")
      }
    }
    try await group.run()
  }

  /// Resolves the peers given by name, before anything is changed: a name that does not
  /// resolve (or only to addresses `listen` cannot reach) is an error naming it.
  static func resolvePeerNames(_ hosts: [HostPort], listen: Endpoint) throws -> [HostPort:
    [Endpoint]]
  {
    var result: [HostPort: [Endpoint]] = [:]
    for host in hosts {
      let endpoints: [Endpoint]
      do {
        endpoints = try NameResolver.resolve(host)
      } catch {
        throw CLIError("--peer \(host): \(error)")
      }
      let reachable = endpoints.filter { $0.unreachableReason(from: listen) == nil }
      guard !reachable.isEmpty else {
        throw CLIError(
          "--peer \(host) resolves to \(endpoints.map(\.description).joined(separator: ", ")), "
            + "which --listen \(listen) cannot reach")
      }
      result[host] = reachable
    }
    return result
  }

  /// The cluster secrets (current first) and the allow-list, read from their files; run at
  /// start and again on SIGHUP.
  @Sendable func readSecrets() throws -> ([SymmetricKey], Set<PublicKey>?) {
    var secrets = [try StateDirectory.readSecret(secretFile)]
    if let nextSecretFile { secrets.append(try StateDirectory.readSecret(nextSecretFile)) }
    guard let allowedKeysFile else { return (secrets, nil) }
    return (secrets, try StateDirectory.readAllowedKeys(allowedKeysFile))
  }

  /// The busy-poll window by default, in microseconds: long enough to catch the answer to a
  /// packet just sent across a LAN, short enough to cost little CPU between bursts.
  static let defaultBusyPoll = 0

  static func hostName() -> String {
    var buf = [UInt8](repeating: 0, count: 256)
    guard buf.withUnsafeMutableBytes({ gethostname($0.baseAddress!, 255) }) == 0 else {
      return "meshd"
    }
    // The host name is not ours to trust blindly: peers refuse a nickname with control
    // characters, so anything odd in it is replaced rather than announced.
    let name = String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
    let safe = DisplayText.sanitized(name, maxBytes: WireLimits.maxNickname)
    return safe.isEmpty ? "meshd" : safe
  }
}
