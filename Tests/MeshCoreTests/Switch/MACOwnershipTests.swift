import MeshCore
import Testing

/// A remote host may source frames only from MACs it owns; local always wins.
@Suite("Switch: MAC ownership")
struct MACOwnershipTests {
  let secret = try! SymmetricKey(bytes: Array(repeating: 7, count: 32))
  let t0 = MeshInstant(nanoseconds: 1_000_000_000)
  let a = PeerID(rawValue: 0xA)
  let b = PeerID(rawValue: 0xB)
  func mac(_ n: Int) -> MACAddress { MACAddress(0x02, 0, 0, 0, 0, UInt8(n)) }

  @Test func aRemoteHostCannotTakeALocalMAC() {
    var table = MACTable()
    table.learnLocal(mac(1), now: t0)
    let learned1 = table.learnRemote(mac(1), from: a, now: t0.adding(seconds: 1))
    #expect(!learned1)
    #expect(table.lookup(mac(1), now: t0.adding(seconds: 1)) == .local)
  }

  @Test func aRemoteHostCannotTakeAnotherHostsMAC() {
    var table = MACTable()
    let learned2 = table.learnRemote(mac(2), from: a, now: t0)
    #expect(learned2)
    let learned3 = table.learnRemote(mac(2), from: b, now: t0.adding(seconds: 10))
    #expect(!learned3)
    #expect(table.lookup(mac(2), now: t0.adding(seconds: 10)) == .remote(a))
    // Its owner keeps using it.
    let learned4 = table.learnRemote(mac(2), from: a, now: t0.adding(seconds: 20))
    #expect(learned4)
  }

  @Test func aMACWhoseOwnerWentSilentCanBeClaimedAgain() {
    var table = MACTable()
    let learned5 = table.learnRemote(mac(2), from: a, now: t0)
    #expect(learned5)
    let later = t0.adding(seconds: table.agingTime + 1)
    let learned6 = table.learnRemote(mac(2), from: b, now: later)
    #expect(learned6)
    #expect(table.lookup(mac(2), now: later) == .remote(b))
  }

  @Test func localAlwaysWins() {
    var table = MACTable()
    let learned7 = table.learnRemote(mac(3), from: a, now: t0)
    #expect(learned7)
    table.learnLocal(mac(3), now: t0.adding(seconds: 0.01))
    #expect(table.lookup(mac(3), now: t0.adding(seconds: 0.01)) == .local)
  }

  @Test func pinnedMACsAreNeverRemoteAndNeverAge() {
    var table = MACTable()
    table.pin(local: [mac(4)])
    let learned8 = table.learnRemote(mac(4), from: a, now: t0)
    #expect(!learned8)
    #expect(table.lookup(mac(4), now: t0.adding(seconds: 100_000)) == .local)
  }

  @Test func aMemberSpoofingAnotherHostsMACIsDroppedAndReportedOnce() throws {
    var net = Network()
    let victim = net.add(1, secret: secret)
    let bad = net.add(2, secret: secret)
    let owner = net.add(3, secret: secret)
    net.hosts[bad]!.connect(victim, now: net.clock.now())
    net.hosts[owner]!.connect(victim, now: net.clock.now())
    net.advance(10, step: 0.1)
    #expect(net.established(victim, bad) && net.established(victim, owner))
    net.hosts[victim]!.pinLocalMACs([mac(10)])
    // The victim's own container and the third host's container are known.
    net.sendFrame(from: victim, ethernetFrame(dst: .broadcast, src: mac(11)))
    net.sendFrame(from: owner, ethernetFrame(dst: .broadcast, src: mac(13)))
    let delivered = net.outputs[victim]!.delivered.count
    // The member forges frames from the victim's bridge, its container and the other host's.
    for _ in 0..<50 {
      for forged in [mac(10), mac(11), mac(13)] {
        net.sendFrame(from: bad, ethernetFrame(dst: .broadcast, src: forged))
      }
    }
    #expect(net.outputs[victim]!.delivered.count == delivered, "no forged frame reached the bridge")
    let status = net.status(victim)
    #expect(status.drops[.macConflict] == 150)
    let reports = net.outputs[victim]!.events.filter {
      if case .macConflict = $0 { return true } else { return false }
    }
    #expect(reports.count == 1, "reports are rate-limited")
    // The victim still reaches its containers' peers: a frame to the third host's MAC goes there.
    net.outputs[victim]!.sent.removeAll()
    net.sendFrame(from: victim, ethernetFrame(dst: mac(13), src: mac(11)))
    #expect(net.wire.last { $0.from == victim && $0.bytes[0] == 4 }?.to == owner)
    // And local frames from the victim's bridge MAC are never taken for loops.
    net.sendFrame(from: victim, ethernetFrame(dst: mac(13), src: mac(10)))
    #expect(net.status(victim).drops[.loop] == 0)
  }
}
