import ArgumentParser
import MeshCore
import MeshIO

/// `meshd create-bridge`: makes sure the bridge exists, is up, and has its address and MTU.
/// Running it again changes nothing, so it can sit in a boot script or an ifupdown hook.
struct CreateBridge: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create-bridge",
    abstract: "Create the Linux bridge for the mesh (idempotent).")

  @Option(help: "The bridge's name.")
  var bridge: String = "br0"

  @Option(help: "An address for the bridge, such as 10.2.5.1/16.")
  var address: String?

  @Option(help: "The bridge's MTU.")
  var mtu: Int?

  func validate() throws {
    guard !bridge.isEmpty, bridge.utf8.count < 16 else {
      throw ValidationError("--bridge must be 1 to 15 characters")
    }
    if let address, IPv4Network(address) == nil {
      throw ValidationError("--address \(address) is not an IPv4 address with a prefix (A.B.C.D/N)")
    }
    if let mtu, !(576...65535).contains(mtu) {
      throw ValidationError("--mtu must be between 576 and 65535")
    }
  }

  func run() throws {
    let netlink = try RouteNetlink()
    let existed = try netlink.linkIndex(name: bridge) != nil
    _ = try netlink.ensureBridge(name: bridge)
    if !existed {
      // A bridge takes the lowest MAC of its ports unless its own is set; pin it so that
      // adding or re-creating a TAP never changes the bridge's MAC.
      var random = SystemRandom()
      let b = random.bytes(6)
      try netlink.setMACAddress(
        link: bridge, MACAddress((b[0] & 0xFC) | 0x02, b[1], b[2], b[3], b[4], b[5]))
    }
    if let mtu { try netlink.setMTU(link: bridge, mtu: mtu) }
    if let address, let net = IPv4Network(address) {
      _ = try netlink.addIPv4Address(link: bridge, net)
    }
    try netlink.setUp(link: bridge)
  }
}
