import ArgumentParser
import Logging
import MeshAPI
import MeshCore

/// `meshd up`'s operations options: log format, the metrics endpoint, and whether the host's
/// own services are open to the mesh.
struct OperationsOptions: ParsableArguments {
  @Option(help: "Log line format: text (the message first) or json (one object a line).")
  var logFormat: String = "text"

  @Option(
    help: ArgumentHelp(
      "Serve Prometheus metrics at http://ADDR:PORT/metrics (off by default).",
      valueName: "ADDR:PORT"))
  var metricsListen: String?

  @Flag(
    inversion: .prefixedNo,
    help:
      "Let containers and hosts across the mesh open connections to this host's own addresses (as weave expose); hidden by default, switched at run time with meshd expose / meshd hide."
  )
  var expose = false

  func validate() throws {
    guard MeshLogHandler.Format(rawValue: logFormat) != nil else {
      throw ValidationError("--log-format \(logFormat) is not text or json")
    }
    if let metricsListen {
      // The port must be given: Endpoint alone would take meshd's UDP port for a bare address.
      guard let e = Endpoint(metricsListen), e.port != 0, metricsListen.hasSuffix(":\(e.port)")
      else {
        throw ValidationError(
          "--metrics-listen \(metricsListen) is not ADDRESS:PORT (an IP address)")
      }
    }
  }

  /// Sends swift-log's output through meshd's handler, at `level`.
  func bootstrapLogging(level: Logger.Level) {
    let format = MeshLogHandler.Format(rawValue: logFormat) ?? .text
    LoggingSystem.bootstrap { label in
      var h = MeshLogHandler(label: label, format: format)
      h.logLevel = level
      return h
    }
  }

  /// The metrics server, bound now (so a bad address is refused before the node starts);
  /// nil without `--metrics-listen`.
  func metricsServer(
    node: MeshNode, facts: @escaping @Sendable () -> MeshStatus.HostFacts, logger: Logger
  ) throws -> MetricsServer? {
    guard let text = metricsListen, let endpoint = Endpoint(text) else { return nil }
    do {
      return try MetricsServer(endpoint: endpoint, logger: logger) {
        MetricsServer.page(node.statusBlocking(), facts: facts())
      }
    } catch {
      throw CLIError("--metrics-listen \(text): cannot listen there: \(error)")
    }
  }

  /// Installs the host firewall for `bridge` and `tap` (hidden unless `--expose`). Without
  /// nft, a host that asked to be exposed runs without the firewall (and says so); a hidden
  /// one cannot start.
  func installFirewall(bridge: String, tap: String, logger: Logger) throws -> HostFirewall? {
    let firewall = HostFirewall(bridge: bridge, tap: tap)
    do {
      try firewall.install(exposed: expose)
    } catch {
      guard expose else {
        throw CLIError(
          "cannot hide this host from the mesh: \(error); install nftables, or start with "
            + "--expose to leave the host's own services open to the mesh")
      }
      logger.warning("no host firewall (meshd expose/hide will not work): \(error)")
      return nil
    }
    let line =
      expose
      ? "host exposed to the mesh (nftables table meshd)"
      : "host hidden from the mesh: new TCP and UDP connections from it are refused "
        + "(nftables table meshd; meshd expose opens it)"
    logger.info("\(line)")
    return firewall
  }
}
