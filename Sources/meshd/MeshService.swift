import Logging
import MeshCore
import ServiceLifecycle
import UnixSignals

/// Runs until graceful shutdown, then stops the node: the TAP goes, the bridge stays.
struct MeshService: Service {
  let node: MeshNode
  let server: ControlServer
  let logger: Logger
  /// SIGHUP (reload) and SIGUSR1 (a status line), trapped since start.
  let signals: UnixSignalsSequence
  let reload: @Sendable () throws -> ([SymmetricKey], Set<PublicKey>?)

  func run() async throws {
    // SIGHUP re-reads the secret files and the allow-list: rotation and revocation without a
    // restart. SIGUSR1 logs one status line.
    _ = await cancelWhenGracefulShutdown {
      for await signal in signals {
        if signal == .sigusr1 {
          let status = await node.status()
          logger.notice(
            "status: \(status.peers.count) peer(s), \(status.members) member(s), \(status.routes.count) route(s)"
          )
          continue
        }
        do {
          let (secrets, allowed) = try reload()
          node.reload(clusterSecrets: secrets, allowedKeys: allowed)
          logger.info(
            "reloaded \(secrets.count) secret(s), allow-list \(allowed.map { "of \($0.count) keys" } ?? "off")"
          )
        } catch {
          logger.error("reload failed, keeping the old secrets: \(error)")
        }
      }
    }
    logger.info("shutting down")
    server.stop()
    node.stop()
  }
}
