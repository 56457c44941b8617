import Logging
import MeshAPI
import MeshCore
import MeshIO
import ServiceLifecycle

/// Reports the daemon's start-up to whoever waits for it, from its status: systemd (a
/// `Type=notify` unit gets `STATUS=` lines while the TAP joins the bridge and the subnet claim
/// is pending, then `READY=1`) and Docker (the environment file with dockerd's options, written
/// atomically once ready and again whenever the options change). Runs until shutdown.
struct ReadinessService: Service {
  let node: MeshNode
  /// The host's settings and the DNS server's state, as the status shows them.
  let facts: @Sendable () -> MeshStatus.HostFacts
  /// `$NOTIFY_SOCKET`'s notifier; nil when not started by systemd as `Type=notify`.
  let notifier: ServiceNotifier?
  /// `--docker-env-file`; nil writes no file.
  let environmentFile: String?
  let logger: Logger

  /// Seconds between looks at the status until ready, and after.
  static let startingInterval = 0.1
  static let runningInterval = 1.0

  func run() async throws {
    if let environmentFile { SecureFile.removeStaleTemporaries(of: environmentFile) }
    // Shutdown cancels the loop, and with it the pause between two looks.
    await cancelWhenGracefulShutdown { await watch() }
    notify(.stopping)
  }

  private func watch() async {
    var lastStatus: String?
    var lastFile: DockerEnvironmentFile?
    var failedFile: DockerEnvironmentFile?  // logged once; retried silently
    var readySent = false
    while !Task.isCancelled {
      let readiness = DaemonReadiness(status: await node.status(), host: facts())
      // The file first, then READY=1: a dockerd started on READY finds the file in place.
      if case .ready(let file) = readiness, file != lastFile, let environmentFile {
        do {
          try SecureFile.makeDirectory(SecureFile.directory(of: environmentFile), mode: 0o755)
          try SecureFile.writeAtomically(environmentFile, Array(file.contents.utf8), mode: 0o644)
          logger.info("wrote dockerd's options to \(environmentFile): \(file.dockerOptions)")
          lastFile = file
        } catch {
          if failedFile != file { logger.error("cannot write \(environmentFile): \(error)") }
          failedFile = file
        }
      }
      let line = readiness.statusLine
      if line != lastStatus {
        var message = ServiceNotification.status(line)
        if readiness.isReady && !readySent {
          message = message.adding("READY", "1")
          readySent = true
          logger.info("ready: \(line)")
        }
        notify(message)
        lastStatus = line
      }
      let pause = readySent ? Self.runningInterval : Self.startingInterval
      try? await Task.sleep(for: .milliseconds(Int(pause * 1000)))
    }
  }

  private func notify(_ message: ServiceNotification) {
    guard let notifier else { return }
    do {
      try notifier.send(message)
    } catch {
      logger.warning("cannot notify the service manager: \(error)")
    }
  }
}
