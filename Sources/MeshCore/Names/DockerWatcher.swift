import Dispatch
import Logging
import MeshAPI
import MeshIO
import MeshLogic

/// Follows the local Docker engine over its Unix socket, as registrator does: it lists the
/// running containers, then follows the event stream, and hands the container set to
/// `changed` at start and after every event that can change a name.
///
/// Runs on its own thread, off the data path. The events request goes out before the list,
/// so nothing that happens in between is missed. When the engine is not running yet, goes
/// away or its stream ends, the watcher waits (`ReconnectBackoff`) and starts over with a new
/// list, so nothing is left stale either: a dockerd restart leaves the names of the
/// containers that run after it.
final class DockerWatcher: @unchecked Sendable {
  /// The longest wait for each read of a list answer.
  static let listTimeoutSeconds = 10.0
  /// How often a blocked read of the event stream wakes to check for `stop()`.
  static let pollSeconds = 0.5
  /// How long after an event the list is taken once more, for changes Docker's list shows
  /// later than its events.
  static let settleSeconds = 1.0

  let socketPath: String
  let logger: Logger
  let changed: @Sendable ([LocalContainer]) -> Void
  private let stopSignal = DispatchSemaphore(value: 0)
  private let stopFlag = StopFlag()
  private var thread: OSThread?

  /// Why a round with the engine ended.
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// A watcher of the engine at `socketPath` reporting container sets to `changed` (on the
  /// watcher's thread).
  init(
    socketPath: String, logger: Logger,
    changed: @escaping @Sendable ([LocalContainer]) -> Void
  ) {
    self.socketPath = socketPath
    self.logger = logger
    self.changed = changed
  }

  deinit { stop() }

  /// Starts the watcher's thread.
  func start() throws {
    thread = try OSThread.spawn(name: "meshd-docker") { [self] in run() }
  }

  /// Stops the thread (within `pollSeconds`) and waits for it.
  func stop() {
    guard let t = thread else { return }
    thread = nil
    stopFlag.set()
    stopSignal.signal()
    t.join()
  }

  /// Rounds with the engine until stopped, with backoff between them.
  func run() {
    var backoff = ReconnectBackoff()
    var reachable: Bool?
    while !stopFlag.isSet {
      do {
        try follow {
          if reachable != true {
            logger.info("docker: following the engine at \(socketPath) (\($0) containers)")
          }
          reachable = true
          backoff.succeeded()
        }
        if stopFlag.isSet { return }
        logger.notice("docker: the event stream of \(socketPath) ended; listing again")
      } catch {
        if stopFlag.isSet { return }
        if reachable != false {
          logger.notice("docker: engine at \(socketPath) not reachable (\(error)); retrying")
        }
        reachable = false
      }
      let wait = backoff.failed(random: Double.random(in: 0...1))
      if stopSignal.wait(timeout: .now() + wait) == .success { return }
    }
  }

  /// One round: subscribes to events, lists the containers (reporting them and calling
  /// `connected` with their count), then lists again after each naming event, and once more
  /// `settleSeconds` later (Docker's list lags its events), until the stream ends or the
  /// watcher stops. A container that died is left out at once (`StoppedContainers`).
  func follow(connected: (Int) -> Void) throws {
    let events = try UnixStream.connect(path: socketPath, timeoutSeconds: 5)
    try events.writeAll(DockerAPI.request(DockerAPI.eventsPath))
    try events.setReceiveTimeout(seconds: DockerWatcher.pollSeconds)
    var stopped = StoppedContainers()
    let containers = try list()
    changed(containers)
    connected(containers.count)
    var response = HTTPResponseStream()
    var lines = LineSplitter(maxLine: DockerAPI.maxEventLine)
    var settleAt: DispatchTime?
    while !stopFlag.isSet {
      var chunk: [UInt8]?
      do {
        chunk = try events.read(max: 16 * 1024)
      } catch let e as SystemError where e.isWouldBlock {
        chunk = nil
      }
      if let due = settleAt, DispatchTime.now() >= due {
        settleAt = nil
        changed(stopped.running(try list()))
      }
      guard let chunk else { continue }
      guard !chunk.isEmpty else { return }
      let output = try response.feed(chunk)
      if let head = output.head, head.status != 200 {
        throw Failure(description: "events answered \(head.status)")
      }
      var naming = false
      for line in try lines.feed(output.body) {
        guard let event = DockerAPI.event(line), event.changesNames else { continue }
        logger.debug("docker: \(event.type) \(event.action) \(event.container.prefix(12))")
        stopped.note(type: event.type, action: event.action, id: event.container)
        naming = true
      }
      if naming {
        changed(stopped.running(try list()))
        settleAt = .now() + DockerWatcher.settleSeconds
      }
      if output.complete { return }
    }
  }

  /// The running containers (`GET /containers/json`), on a connection of its own.
  func list() throws -> [LocalContainer] {
    let stream = try UnixStream.connect(path: socketPath, timeoutSeconds: 5)
    try stream.writeAll(DockerAPI.request(DockerAPI.containersPath))
    try stream.setReceiveTimeout(seconds: DockerWatcher.listTimeoutSeconds)
    var response = HTTPResponseStream()
    var body: [UInt8] = []
    var status: Int?
    while true {
      let chunk = try stream.read(max: 64 * 1024)
      if chunk.isEmpty {
        try response.finish()
        break
      }
      let output = try response.feed(chunk)
      if let head = output.head { status = head.status }
      body += output.body
      guard body.count <= JSONParser.maxResponseInput else {
        throw Failure(description: "container list too large")
      }
      if output.complete { break }
    }
    guard status == 200 else {
      throw Failure(description: "container list answered \(status.map(String.init) ?? "nothing")")
    }
    return try DockerAPI.containers(body)
  }
}
