import MeshIO
import MeshTypes

/// What the data thread does when its TAP or its bridge changes under it: a pure state machine
/// fed with link events, TAP failures and the clock, answering with the actions to take.
///
/// A TAP that fails (its descriptor reports an error: the link was deleted) or is deleted is
/// recreated at once, then every ``retryInterval`` while that fails. A bridge that is deleted
/// is marked missing; when a bridge of that name exists again, the TAP joins it. Events about
/// links of another index (the TAP this thread already replaced, a bridge gone before) are
/// ignored, so a notification that arrives after the fact changes nothing.
struct DeviceWatch: Equatable {
  /// The TAP's state.
  enum TapState: Equatable {
    /// Open, in the poller.
    case up
    /// Failed or deleted: out of the poller, to be recreated.
    case lost
  }

  /// What the loop must do.
  enum Action: Equatable {
    /// Close the TAP and open a new one configured as at start, joined to the bridge when
    /// `joinBridge`; report with ``tapRecreated(index:now:)`` or ``tapRecreationFailed(now:)``.
    case recreateTap(joinBridge: Bool)
    /// Join the TAP to the bridge (which is back) and give the bridge the mesh MTU; log
    /// `line` at notice level when that worked. The new bridge's MAC (`bridgeMAC`, when the
    /// kernel said) is pinned local, like the old one's.
    case attachTap(line: String, bridgeMAC: MACAddress?)
    /// Log one line at notice level.
    case notice(String)
    /// Log one line at warning level.
    case warning(String)
  }

  /// How long after a failed recreation the next is tried.
  static let retryInterval = 1.0
  /// A TAP lost again within this many seconds of its recreation is flapping (an operator
  /// deleting it twice is slower than this; a TAP that fails for another reason is not).
  static let flapWindow = 2.0

  /// The TAP's name.
  let tapName: String
  /// The bridge's name.
  let bridgeName: String
  /// The TAP's state.
  private(set) var tap = TapState.up
  /// The TAP's interface index, when known.
  private(set) var tapIndex: Int32?
  /// The bridge's interface index while it exists (nil: missing).
  private(set) var bridgeIndex: Int32?
  /// Why the TAP was lost, for the line that says it is back.
  private(set) var lossReason = ""
  /// Failed recreations since the TAP was lost.
  private(set) var failedAttempts = 0
  /// When the next recreation is due, while the TAP is lost.
  private(set) var retryAt: MeshInstant?
  /// When the TAP was last recreated.
  private(set) var lastRecreated: MeshInstant?
  /// Set while the TAP keeps failing soon after each recreation: recreations then wait
  /// ``retryInterval`` and log nothing (the loop counts the failures in its error log).
  private(set) var flapping = false

  /// A watch over a TAP and a bridge that both exist.
  init(tapName: String, tapIndex: Int32?, bridgeName: String, bridgeIndex: Int32?) {
    self.tapName = tapName
    self.tapIndex = tapIndex
    self.bridgeName = bridgeName
    self.bridgeIndex = bridgeIndex
  }

  /// Whether the bridge exists (as far as the events told).
  var bridgePresent: Bool { bridgeIndex != nil }

  /// `attached` or `missing`, for the status.
  var bridgeState: String { bridgePresent ? "attached" : "missing" }
  /// `up` or `recreating`, for the status.
  var tapState: String { tap == .up ? "up" : "recreating" }

  /// A link notification.
  mutating func handle(_ event: LinkEvent, now: MeshInstant) -> [Action] {
    let link = event.link
    switch event.change {
    case .removed where link.index == tapIndex && tap == .up:
      return lose(reason: "link \(tapName) deleted", now: now)
    case .removed where link.index == bridgeIndex:
      bridgeIndex = nil
      return [
        .warning(
          "bridge \(bridgeName) deleted: this host is cut off from the mesh until it exists again")
      ]
    case .present where link.name == bridgeName && bridgeIndex != link.index:
      // A new bridge of that name (its delete may have gone unseen): join it.
      bridgeIndex = link.index
      guard tap == .up else { return [] }  // the recreation joins it
      return [
        .attachTap(
          line: "bridge \(bridgeName) is back: \(tapName) joined it again", bridgeMAC: link.mac)
      ]
    default:
      return []
    }
  }

  /// The TAP's descriptor failed (`reason` says how): it is recreated at once.
  mutating func tapFailed(reason: String, now: MeshInstant) -> [Action] {
    guard tap == .up else { return [] }
    return lose(reason: reason, now: now)
  }

  /// Links looked up again after lost notifications: whether each exists, with its index.
  mutating func resync(tapIndex current: Int32?, bridgeIndex bridge: Int32?, now: MeshInstant)
    -> [Action]
  {
    var actions: [Action] = []
    if let old = tapIndex, current != old {
      var gone = LinkInfo(index: old, flags: 0)
      gone.name = tapName
      actions += handle(LinkEvent(.removed, gone), now: now)
    }
    if let old = bridgeIndex, bridge != old {
      var gone = LinkInfo(index: old, flags: 0)
      gone.name = bridgeName
      actions += handle(LinkEvent(.removed, gone), now: now)
    }
    if let bridge {
      var back = LinkInfo(index: bridge, flags: 0)
      back.name = bridgeName
      actions += handle(LinkEvent(.present, back), now: now)
    }
    return actions
  }

  /// A timer turn: a lost TAP whose retry is due is recreated again.
  mutating func tick(now: MeshInstant) -> [Action] {
    guard tap == .lost, let due = retryAt, now >= due else { return [] }
    retryAt = nil
    return [.recreateTap(joinBridge: bridgePresent)]
  }

  /// The TAP was recreated as link `index`; returns the one line that says so.
  mutating func tapRecreated(index: Int32?, now: MeshInstant) -> [Action] {
    guard tap == .lost else { return [] }
    tap = .up
    tapIndex = index
    retryAt = nil
    lastRecreated = now
    if flapping {
      failedAttempts = 0
      return []
    }
    let tries = failedAttempts == 0 ? "" : " after \(failedAttempts + 1) attempts"
    failedAttempts = 0
    let joined = bridgePresent ? " and joined it to \(bridgeName)" : " (\(bridgeName) is missing)"
    return [.notice("TAP \(tapName) lost (\(lossReason)): recreated it\(tries)\(joined)")]
  }

  /// Recreating the TAP failed with `error`: the next try is in ``retryInterval``. Only the
  /// first failure is logged.
  mutating func tapRecreationFailed(_ error: String, now: MeshInstant) -> [Action] {
    guard tap == .lost else { return [] }
    failedAttempts += 1
    retryAt = now.adding(seconds: DeviceWatch.retryInterval)
    guard failedAttempts == 1, !flapping else { return [] }
    return [
      .warning(
        "TAP \(tapName) lost (\(lossReason)) and cannot be recreated yet: \(error); "
          + "retrying every \(Int(DeviceWatch.retryInterval)) s")
    ]
  }

  /// Whether a TAP lost at `now` would be lost again soon after its last recreation.
  func isFlapping(now: MeshInstant) -> Bool {
    guard let last = lastRecreated else { return false }
    return now < last.adding(seconds: DeviceWatch.flapWindow)
  }

  private mutating func lose(reason: String, now: MeshInstant) -> [Action] {
    tap = .lost
    lossReason = reason
    failedAttempts = 0
    flapping = isFlapping(now: now)
    if flapping {
      // Failing again at once: try once a second, quietly, instead of in a loop.
      retryAt = now.adding(seconds: DeviceWatch.retryInterval)
      return []
    }
    retryAt = nil
    return [.recreateTap(joinBridge: bridgePresent)]
  }
}
