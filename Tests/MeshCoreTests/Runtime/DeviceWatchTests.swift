import Testing

@testable import MeshCore
@testable import MeshIO
@testable import MeshTypes

/// The decisions about a TAP and a bridge that change under the data thread.
@Suite("Runtime: device watch")
struct DeviceWatchTests {
  let t0 = MeshInstant(nanoseconds: 1_000_000_000)

  func watch() -> DeviceWatch {
    DeviceWatch(tapName: "meshtap0", tapIndex: 7, bridgeName: "br0", bridgeIndex: 3)
  }

  func link(_ change: LinkEvent.Change, _ name: String, _ index: Int32) -> LinkEvent {
    var info = LinkInfo(index: index, flags: 0)
    info.name = name
    return LinkEvent(change, info)
  }

  func lines(_ actions: [DeviceWatch.Action]) -> [String] {
    actions.compactMap { a in
      switch a {
      case .notice(let l), .warning(let l): l
      case .attachTap(let l, _): l
      case .recreateTap: nil
      }
    }
  }

  @Test("a deleted TAP is recreated once, joined to the bridge; one line when it is back")
  func deletedTap() {
    var w = watch()
    #expect(w.handle(link(.removed, "meshtap0", 7), now: t0) == [.recreateTap(joinBridge: true)])
    #expect(w.tapState == "recreating")
    // The descriptor fails as well, and the notification comes twice: nothing more to do.
    #expect(w.tapFailed(reason: "read: EBADFD", now: t0).isEmpty)
    #expect(w.handle(link(.removed, "meshtap0", 7), now: t0).isEmpty)
    let back = w.tapRecreated(index: 9, now: t0)
    #expect(lines(back).count == 1)
    #expect(lines(back)[0].contains("recreated") && lines(back)[0].contains("br0"))
    #expect(w.tapState == "up" && w.tapIndex == 9)
    // A late notification about the old link changes nothing.
    #expect(w.handle(link(.removed, "meshtap0", 7), now: t0.adding(seconds: 5)).isEmpty)
    // Our own new link appearing changes nothing either.
    #expect(w.handle(link(.present, "meshtap0", 9), now: t0.adding(seconds: 5)).isEmpty)
  }

  @Test("a failing TAP descriptor (before any notification) is recreated at once")
  func failedDescriptor() {
    var w = watch()
    #expect(w.tapFailed(reason: "read: EBADFD", now: t0) == [.recreateTap(joinBridge: true)])
    #expect(w.handle(link(.removed, "meshtap0", 7), now: t0).isEmpty)
  }

  @Test("a recreation that fails is retried every second with one warning in all")
  func retries() {
    var w = watch()
    _ = w.tapFailed(reason: "read", now: t0)
    #expect(lines(w.tapRecreationFailed("EBUSY", now: t0)).count == 1)
    #expect(w.tick(now: t0.adding(seconds: 0.5)).isEmpty)
    #expect(w.tick(now: t0.adding(seconds: 1)) == [.recreateTap(joinBridge: true)])
    #expect(w.tick(now: t0.adding(seconds: 1.1)).isEmpty, "one try per failure")
    #expect(w.tapRecreationFailed("EBUSY", now: t0.adding(seconds: 1)).isEmpty)
    #expect(w.tick(now: t0.adding(seconds: 2)) == [.recreateTap(joinBridge: true)])
    let back = lines(w.tapRecreated(index: 8, now: t0.adding(seconds: 2)))
    #expect(back.count == 1 && back[0].contains("after 3 attempts"))
  }

  @Test("a TAP that fails again right after its recreation is retried quietly, once a second")
  func flapping() {
    var w = watch()
    _ = w.tapFailed(reason: "read", now: t0)
    _ = w.tapRecreated(index: 8, now: t0)
    let t1 = t0.adding(seconds: 0.1)
    #expect(w.isFlapping(now: t1))
    #expect(w.tapFailed(reason: "read", now: t1).isEmpty, "no recreation at once")
    #expect(w.tick(now: t1.adding(seconds: 0.5)).isEmpty)
    #expect(w.tick(now: t1.adding(seconds: 1)) == [.recreateTap(joinBridge: true)])
    #expect(w.tapRecreated(index: 9, now: t1.adding(seconds: 1)).isEmpty, "quiet")
    // An operator deleting it much later is a new event, with its line.
    let later = t1.adding(seconds: 60)
    #expect(w.handle(link(.removed, "meshtap0", 9), now: later) == [.recreateTap(joinBridge: true)])
    #expect(lines(w.tapRecreated(index: 10, now: later)).count == 1)
  }

  @Test("a deleted bridge: one warning, status missing; when it is back the TAP joins it")
  func deletedBridge() {
    var w = watch()
    let gone = w.handle(link(.removed, "br0", 3), now: t0)
    #expect(lines(gone).count == 1 && lines(gone)[0].contains("br0"))
    #expect(w.bridgeState == "missing")
    #expect(w.handle(link(.removed, "br0", 3), now: t0).isEmpty, "said once")
    #expect(w.handle(link(.present, "eth0", 2), now: t0).isEmpty, "other links do not count")
    let back = w.handle(link(.present, "br0", 12), now: t0)
    #expect(back.count == 1)
    guard case .attachTap(let line, _)? = back.first else {
      Issue.record("no attach: \(back)")
      return
    }
    #expect(line.contains("br0"))
    #expect(w.bridgeState == "attached")
    // Changes of the new bridge (its MTU, set by the attach) are not a return.
    #expect(w.handle(link(.present, "br0", 12), now: t0).isEmpty)
  }

  @Test("a TAP lost while the bridge is missing is recreated without it, and joins it later")
  func tapWhileBridgeMissing() {
    var w = watch()
    _ = w.handle(link(.removed, "br0", 3), now: t0)
    #expect(w.handle(link(.removed, "meshtap0", 7), now: t0) == [.recreateTap(joinBridge: false)])
    let back = lines(w.tapRecreated(index: 8, now: t0))
    #expect(back.count == 1 && back[0].contains("missing"))
    #expect(w.handle(link(.present, "br0", 12), now: t0).count == 1)
  }

  @Test("a bridge deleted and recreated between two reads: the TAP joins the new one")
  func bridgeReplaced() {
    var w = watch()
    let actions = w.resync(tapIndex: 7, bridgeIndex: 20, now: t0)
    #expect(actions.contains { if case .attachTap = $0 { true } else { false } })
    #expect(w.bridgeIndex == 20)
    #expect(w.resync(tapIndex: 7, bridgeIndex: 20, now: t0).isEmpty, "in line: nothing to do")
    #expect(w.resync(tapIndex: nil, bridgeIndex: 20, now: t0) == [.recreateTap(joinBridge: true)])
  }
}
