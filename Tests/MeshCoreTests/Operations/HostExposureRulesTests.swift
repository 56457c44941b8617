import Synchronization
import Testing

@testable import MeshCore

/// The host firewall's nft scripts and their switching (the namespace test runs them).
@Suite("Host exposure rules")
struct HostExposureRulesTests {
  @Test func hiddenRefusesNewTCPAndUDPFromTheTAPOnly() {
    let script = HostExposureRules.install(bridge: "br0", tap: "meshtap0", exposed: false)
    #expect(script.hasPrefix(HostExposureRules.remove()))
    #expect(script.contains("iifname \"meshtap0\" meta mark set meta mark | 0x100000"))
    #expect(script.contains("type filter hook input"))
    #expect(
      script.contains(
        "iifname \"br0\" meta mark & 0x100000 == 0x100000 ct state new meta l4proto tcp"))
    #expect(script.contains("meta l4proto udp"))
    #expect(!script.contains("icmp ") && !script.contains("established"))
  }

  @Test func exposedKeepsTheTablesWithoutRejects() {
    let script = HostExposureRules.install(bridge: "br0", tap: "meshtap0", exposed: true)
    #expect(script.contains("table inet meshd {"))
    #expect(!script.contains("reject"))
  }

  @Test func removalToleratesAbsentTables() {
    // Declaring an empty table first makes the delete succeed when none exists.
    let script = HostExposureRules.remove()
    #expect(script.contains("table bridge meshd {}\ndelete table bridge meshd"))
    #expect(script.contains("table inet meshd {}\ndelete table inet meshd"))
  }

  @Test func theFirewallAppliesAndRemovesOnce() throws {
    let scripts = Mutex<[String]>([])
    let firewall = HostFirewall(bridge: "br0", tap: "meshtap0") { s in
      scripts.withLock { $0.append(s) }
    }
    try firewall.remove()
    #expect(scripts.withLock { $0.isEmpty }, "nothing installed, nothing to remove")
    try firewall.install(exposed: false)
    #expect(!firewall.isExposed)
    try firewall.setExposed(true)
    #expect(firewall.isExposed)
    try firewall.remove()
    try firewall.remove()
    let applied = scripts.withLock { $0 }
    #expect(applied.count == 3)
    #expect(applied[0].contains("reject") && !applied[1].contains("reject"))
    #expect(applied[2] == HostExposureRules.remove())
  }

  @Test func aRefusedScriptKeepsTheOldState() {
    struct Refused: Error {}
    let firewall = HostFirewall(bridge: "br0", tap: "meshtap0") { _ in throw Refused() }
    #expect(throws: Refused.self) { try firewall.install(exposed: true) }
    #expect(!firewall.isExposed)
  }
}
