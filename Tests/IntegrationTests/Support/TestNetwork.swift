import Foundation
import Synchronization

/// A disposable set of namespace hosts on one or more underlay segments.
///
/// Topology: a "switch" namespace `<id>sw` holds one bridge per underlay segment (`mshsw0` for
/// segment 1, `mshsw1` for segment 2, …); every host namespace `<id>h<i>` is joined to the
/// bridge of each of its segments by a veth pair (`mshu<k-1>` in the host, `mshp<i>` in the
/// switch for segment 1, `mshp<i>s<k>` for segment k > 1). Segments are separate L2 domains
/// with no router between them: a host on two segments has `net.ipv4.ip_forward=0` (the
/// default of a new namespace), so only meshd can carry traffic across. All names start with
/// `mshit<pid>`, and nothing is created in the caller's namespace: the veth pairs are created
/// inside the switch namespace.
///
/// `shutdown()` (also run by `deinit`) stops every process the network started, by PID, deletes
/// its namespaces and removes its work directory (kept when `MESHD_IT_KEEP=1`).
final class TestNetwork {
  private static let counter = Atomic<Int>(0)

  /// Deletes `mshit<pid>…` namespaces left behind by test processes that no longer exist.
  private static let staleCleanup: Void = {
    guard let ip = IntegrationEnvironment.ipPath,
      let list = try? Shell.run([ip, "netns", "list"], timeout: 10)
    else { return }
    for line in list.stdout.split(separator: "\n") {
      let name = String(line.split(separator: " ").first ?? "")
      guard name.hasPrefix("mshit") else { continue }
      let digits = name.dropFirst(5).prefix { $0.isNumber }
      guard let pid = Int32(digits), pid != getpid() else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH {
        _ = try? Shell.run([ip, "netns", "del", name], timeout: 10)
      }
    }
  }()

  /// A unique prefix for this network's names, `mshit<pid>x<n>`.
  let id: String
  /// A private directory for secrets, state, sockets, logs and captures.
  let workDirectory: URL
  /// The switch namespace.
  let switchNamespace: String
  /// The hosts, in index order (host 1 first).
  private(set) var hosts: [NetnsHost] = []
  private var daemons: [Int: MeshdProcess] = [:]
  private var helpers: [BackgroundProcess] = []
  private var namespaces: [String] = []
  private var isShutDown = false

  /// Creates `hostCount` hosts; with `bridges`, runs `meshd create-bridge` in each.
  ///
  /// `segments` says which underlay segments host `i` (1-based) is attached to; by default
  /// every host is on segment 1 (`192.0.2.0/24`) only.
  init(hostCount: Int, bridges: Bool = true, segments: (Int) -> [Int] = { _ in [1] }) throws {
    _ = TestNetwork.staleCleanup
    let n = TestNetwork.counter.add(1, ordering: .relaxed).newValue
    id = "mshit\(getpid())x\(n)"
    switchNamespace = "\(id)sw"
    workDirectory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(id)
    try FileManager.default.createDirectory(
      at: workDirectory, withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700])
    do {
      let layout = (1...max(hostCount, 1)).map(segments)
      try build(hostCount: hostCount, bridges: bridges, layout: layout)
    } catch {
      shutdown()
      throw error
    }
  }

  deinit { shutdown() }

  private func build(hostCount: Int, bridges: Bool, layout: [[Int]]) throws {
    let ip = try IntegrationEnvironment.ip()
    let sw = switchNamespace
    try addNamespace(sw)
    for segment in Set(layout.joined()).sorted() {
      guard NetnsHost.isValid(segment: segment) else {
        throw HarnessError("no underlay segment \(segment)")
      }
      let bridge = TestNetwork.switchBridge(segment: segment)
      try Shell.run([ip, "-n", sw, "link", "add", bridge, "type", "bridge", "stp_state", "0"])
        .check()
      try Shell.run([ip, "-n", sw, "link", "set", bridge, "up"]).check()
    }
    for i in 1...hostCount {
      let host = NetnsHost(namespace: "\(id)h\(i)", index: i, segments: layout[i - 1])
      try addNamespace(host.namespace)
      for segment in host.segments {
        let port = TestNetwork.switchPort(host: i, segment: segment)
        let device = NetnsHost.underlayDevice(segment: segment)
        try Shell.run([
          ip, "-n", sw, "link", "add", port, "type", "veth", "peer", "name", device, "netns",
          host.namespace,
        ]).check()
        try Shell.run([
          ip, "-n", sw, "link", "set", port, "master", TestNetwork.switchBridge(segment: segment),
          "up",
        ]).check()
        try Shell.run([
          ip, "-n", host.namespace, "link", "set", device, "address",
          TestNetwork.underlayMAC(host: i, segment: segment),
        ]).check()
        try Shell.run([
          ip, "-n", host.namespace, "addr", "add", "\(host.underlayIP(segment: segment))/24",
          "dev", device,
        ]).check()
        try Shell.run([ip, "-n", host.namespace, "link", "set", device, "up"]).check()
      }
      hosts.append(host)
    }
    // Permanent neighbour entries between the hosts of each segment. The kernel's ARP table is
    // one table for every namespace on the machine (gc_thresh3, 1024 here), and namespaces of
    // earlier tests free their entries only later: a full table makes ARP fail and datagrams
    // vanish (UDP SndbufErrors), which no real network would do. Permanent entries are exempt.
    for host in hosts {
      for other in hosts where other.index != host.index {
        for segment in host.segments where other.segments.contains(segment) {
          try Shell.run([
            ip, "-n", host.namespace, "neigh", "replace", other.underlayIP(segment: segment),
            "lladdr", TestNetwork.underlayMAC(host: other.index, segment: segment), "dev",
            NetnsHost.underlayDevice(segment: segment), "nud", "permanent",
          ]).check()
        }
      }
    }
    if bridges {
      let meshd = try IntegrationEnvironment.meshdBinary()
      for host in hosts {
        let result = try host.run([
          meshd, "create-bridge", "--bridge", NetnsHost.bridge, "--address", host.overlayCIDR,
        ])
        guard result.succeeded else {
          throw HarnessError("meshd create-bridge failed on \(host):\n\(result)")
        }
      }
    }
  }

  /// A fixed, locally administered MAC for host `host`'s underlay device on `segment`.
  static func underlayMAC(host: Int, segment: Int) -> String {
    String(format: "02:00:c0:%02x:%02x:%02x", segment & 0xFF, host >> 8, host & 0xFF)
  }

  private func addNamespace(_ name: String) throws {
    let ip = try IntegrationEnvironment.ip()
    try Shell.run([ip, "netns", "add", name]).check()
    namespaces.append(name)
    try Shell.run([ip, "-n", name, "link", "set", "lo", "up"]).check()
  }

  /// The switch namespace's bridge for `segment` (`mshsw0` for segment 1).
  static func switchBridge(segment: Int) -> String { "mshsw\(segment - 1)" }

  /// The switch-side veth end of host `host` on `segment` (`mshp<i>`, or `mshp<i>s<k>`).
  static func switchPort(host: Int, segment: Int) -> String {
    segment == 1 ? "mshp\(host)" : "mshp\(host)s\(segment)"
  }

  /// Brings the switch side of `host`'s link on `segment` down or up: a cable cut that the
  /// host itself does not see (its own interface stays up).
  func setLink(of host: NetnsHost, segment: Int = 1, up: Bool) throws {
    try Shell.run([
      try IntegrationEnvironment.ip(), "-n", switchNamespace, "link", "set",
      TestNetwork.switchPort(host: host.index, segment: segment), up ? "up" : "down",
    ]).check()
  }

  /// Host number `index` (1-based).
  func host(_ index: Int) -> NetnsHost { hosts[index - 1] }

  /// Writes a fresh cluster secret from `meshd gen-secret` into a mode-0600 file.
  func makeSecretFile(named name: String = "secret") throws -> URL {
    let meshd = try IntegrationEnvironment.meshdBinary()
    let result = try Shell.run([meshd, "gen-secret"], timeout: 10)
    guard result.succeeded, !result.stdout.isEmpty else {
      throw HarnessError("meshd gen-secret failed:\n\(result)")
    }
    let url = workDirectory.appendingPathComponent(name)
    guard
      FileManager.default.createFile(
        atPath: url.path, contents: Data(result.stdout.utf8),
        attributes: [.posixPermissions: 0o600])
    else { throw HarnessError("cannot write \(url.path)") }
    return url
  }

  /// Starts `meshd up` on `host`, with `--peer` for each of `peers` (each peer's address on
  /// the first segment it shares with `host`) and any `extraArguments`.
  @discardableResult
  func startMeshd(
    on host: NetnsHost, peers: [NetnsHost] = [], secret: URL,
    environment: [String: String] = [:], extraArguments: [String] = []
  ) throws -> MeshdProcess {
    let endpoints = try peers.map { peer in
      guard let endpoint = peer.endpoint(reachableFrom: host) else {
        throw HarnessError("\(peer) shares no underlay segment with \(host)")
      }
      return endpoint
    }
    let daemon = try MeshdProcess(
      host: host, secretFile: secret, peers: endpoints, workDirectory: workDirectory,
      environment: environment, extraArguments: extraArguments)
    daemons[host.index] = daemon
    return daemon
  }

  /// The most common start: meshd on hosts 1 (A, given B as its peer) and 2 (B) with one
  /// new secret, and A pinging B's overlay address. Returns (A, B).
  func startPair() async throws -> (NetnsHost, NetnsHost) {
    let (a, b) = (host(1), host(2))
    let secret = try makeSecretFile()
    try startMeshd(on: a, peers: [b], secret: secret)
    try startMeshd(on: b, secret: secret)
    try await requirePing(from: a, to: b.overlayIP)
    return (a, b)
  }

  /// The daemon running on `host`, if one was started.
  func meshd(on host: NetnsHost) -> MeshdProcess? { daemons[host.index] }

  /// Starts a helper process (capture, traffic server) in `host`; it is stopped at shutdown.
  func spawn(
    in host: NetnsHost, name: String, _ argv: [String], environment: [String: String] = [:]
  ) throws -> BackgroundProcess {
    try spawn(namespace: host.namespace, name: name, argv, environment: environment)
  }

  /// Starts a helper process in namespace `namespace`; it is stopped at shutdown.
  func spawn(
    namespace: String, name: String, _ argv: [String], environment: [String: String] = [:]
  ) throws -> BackgroundProcess {
    let process = try BackgroundProcess(
      name: name, argv: [try IntegrationEnvironment.ip(), "netns", "exec", namespace] + argv,
      environment: environment, logURL: workDirectory.appendingPathComponent("\(name).log"))
    helpers.append(process)
    return process
  }

  /// The decoded status of the daemon on `host`.
  func status(_ host: NetnsHost) throws -> StatusView {
    guard let daemon = daemons[host.index] else {
      throw HarnessError("no meshd was started on \(host)")
    }
    return try daemon.status()
  }

  /// Polls until `from` gets a ping answer from `address`; true if it did within `timeout`.
  func waitForPing(from: NetnsHost, to address: String, timeout: Double) async -> Bool {
    await waitUntil(timeout: timeout, interval: 0.1) { from.ping(address) }
  }

  /// Like `waitForPing`, but throws an error with every daemon's last log lines on failure.
  func requirePing(from: NetnsHost, to address: String, timeout: Double = 20) async throws {
    if await !waitForPing(from: from, to: address, timeout: timeout) {
      throw HarnessError(
        "no ping answer from \(address) to \(from) within \(timeout) s\n\(diagnostics())")
    }
  }

  /// Polls until both daemons list each other as established (matched by peer ID).
  func requireEstablished(_ a: NetnsHost, _ b: NetnsHost, timeout: Double = 20) async throws {
    let ok = await waitUntil(timeout: timeout) {
      guard let sa = try? status(a), let sb = try? status(b) else { return false }
      return sa.peer(id: sb.peerID)?.isEstablished == true
        && sb.peer(id: sa.peerID)?.isEstablished == true
    }
    if !ok {
      throw HarnessError(
        "\(a) and \(b) did not both report an established session within \(timeout) s\n"
          + diagnostics())
    }
  }

  /// Polls until every host in `group` lists every other one as an established peer (matched
  /// by peer ID); throws with diagnostics otherwise. Returns the seconds it took.
  @discardableResult
  func requireFullMesh(_ group: [NetnsHost], timeout: Double = 30) async throws -> Double {
    let start = Date()
    var ids: [Int: String] = [:]
    let ok = await waitUntil(timeout: timeout, interval: 0.25) {
      var views: [Int: StatusView] = [:]
      for host in group {
        guard let view = try? status(host), let id = view.peerID else { return false }
        views[host.index] = view
        ids[host.index] = id
      }
      return group.allSatisfy { host in
        group.allSatisfy { other in
          other.index == host.index || views[host.index]!.isEstablished(with: ids[other.index])
        }
      }
    }
    if !ok {
      throw HarnessError(
        "hosts \(group.map(\.index)) did not all establish direct sessions with each other "
          + "within \(timeout) s\n\(diagnostics())")
    }
    return Date().timeIntervalSince(start)
  }

  /// Requires that every ordered pair of hosts in `group` gets a ping answer over the overlay
  /// within `timeout` seconds each.
  func requirePingMatrix(_ group: [NetnsHost], timeout: Double = 10) async throws {
    for from in group {
      for to in group where to.index != from.index {
        try await requirePing(from: from, to: to.overlayIP, timeout: timeout)
      }
    }
  }

  /// The last log lines of every daemon, and their status if reachable, for failure messages.
  func diagnostics() -> String {
    var text = ""
    for index in daemons.keys.sorted() {
      guard let daemon = daemons[index] else { continue }
      text += daemon.diagnostics() + "\n"
      if let status = try? daemon.host.run(
        [IntegrationEnvironment.meshdBinary(), "status", "--json", "--socket", daemon.socket.path],
        timeout: 5)
      {
        text += "--- status on \(daemon.host): \(status.stdout)\(status.stderr)\n"
      }
    }
    return text
  }

  /// Stops all processes (by PID), deletes the namespaces and the work directory. Idempotent.
  func shutdown() {
    guard !isShutDown else { return }
    isShutDown = true
    for helper in helpers.reversed() { helper.stop(grace: 3) }
    for index in daemons.keys.sorted() { daemons[index]?.stop() }
    helpers.removeAll()
    daemons.removeAll()
    if let ip = IntegrationEnvironment.ipPath {
      for name in namespaces.reversed() {
        _ = try? Shell.run([ip, "netns", "del", name], timeout: 10)
      }
    }
    namespaces.removeAll()
    if IntegrationEnvironment.keepWorkDirectories {
      print("meshd integration: kept \(workDirectory.path)")
    } else {
      try? FileManager.default.removeItem(at: workDirectory)
    }
  }
}
