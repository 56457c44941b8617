import MeshIO
import Testing

/// The systemd notify protocol's messages and socket addresses, without a socket.
@Suite struct ServiceNotificationTests {
  @Test func encodesAssignmentsOneALine() {
    #expect(ServiceNotification.ready.bytes == Array("READY=1\n".utf8))
    #expect(ServiceNotification.stopping.bytes == Array("STOPPING=1\n".utf8))
    let message = ServiceNotification.status("claim pending").adding("READY", "1")
    #expect(message.bytes == Array("STATUS=claim pending\nREADY=1\n".utf8))
  }

  @Test func aValueCannotForgeAnotherAssignment() {
    let message = ServiceNotification.status("bad\nREADY=1\r\u{0}x")
    #expect(message.bytes == Array("STATUS=bad READY=1  x\n".utf8))
    #expect(message.assignments.count == 1)
  }

  @Test func equalMessagesCarryTheSameAssignmentsInOrder() {
    #expect(
      ServiceNotification.status("a").adding("READY", "1") == .status("a").adding("READY", "1"))
    #expect(ServiceNotification.ready.adding("STATUS", "a") != .status("a").adding("READY", "1"))
  }

  @Test func abstractAddressStartsWithNULAndHasNoTerminator() throws {
    let address = try #require(NotifySocketAddress("@/org/freedesktop/systemd1/notify/42"))
    #expect(address.isAbstract)
    #expect(address.pathBytes == [0] + Array("/org/freedesktop/systemd1/notify/42".utf8))
  }

  @Test func pathAddressIsNULTerminated() throws {
    let address = try #require(NotifySocketAddress("/run/systemd/notify"))
    #expect(!address.isAbstract)
    #expect(address.pathBytes == Array("/run/systemd/notify".utf8) + [0])
  }

  @Test(arguments: ["", "@", "relative/path", "/" + String(repeating: "x", count: 107)])
  func unusableValuesAreRefused(_ value: String) {
    #expect(NotifySocketAddress(value) == nil)
  }

  @Test func longestPathThatFitsIsAccepted() {
    #expect(NotifySocketAddress("/" + String(repeating: "x", count: 106)) != nil)
    #expect(NotifySocketAddress("@" + String(repeating: "x", count: 107)) != nil)
  }
}
