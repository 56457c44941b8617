import Logging
import MeshIO
import MeshTypes

/// Setting up the TAP and the bridge, at start and again when they change under the node.
extension MeshNode {
  /// Gives the MTU and MAC to the TAP `name`, joins it to `bridge` (when not nil) and sets
  /// both up: as at start, and again for a TAP recreated after it was deleted.
  static func configureTap(
    _ name: String, mac: MACAddress, mtu: Int, bridge: String?, netlink: RouteNetlink
  ) throws {
    try netlink.setMACAddress(link: name, mac)
    try netlink.setMTU(link: name, mtu: mtu)
    if let bridge { try joinBridge(name, bridge: bridge, mtu: mtu, netlink: netlink) }
    try netlink.setUp(link: name)
  }

  /// Makes `tap` a port of `bridge`, gives the bridge the mesh MTU and sets it up.
  static func joinBridge(_ tap: String, bridge: String, mtu: Int, netlink: RouteNetlink) throws {
    try netlink.setMaster(link: tap, master: bridge)
    try netlink.setMTU(link: bridge, mtu: mtu)
    try netlink.setUp(link: bridge)
  }

  /// Lets the data thread keep its TAP and bridge: the link watcher, the two links' indexes,
  /// and how to recreate the TAP (same name, MAC, MTU and offloads as `tap`) and rejoin the
  /// bridge. The closures run on the data thread, each with a netlink socket of its own.
  func watchDevices(
    _ setup: inout NodeLoopSetup<TapDevice, UDPSocketFactory, SystemClock>, tap: TapDevice,
    mac: MACAddress, mtu: Int, netlink: RouteNetlink
  ) {
    let name = tap.name
    let bridge = configuration.bridge
    let virtio = tap.hasVirtioHeader
    setup.localMACs = [mac]
    setup.links = .init(
      tap: name, tapIndex: try? netlink.linkIndex(name: name), bridge: bridge,
      bridgeIndex: try? netlink.linkIndex(name: bridge))
    do {
      setup.linkWatcher = try LinkWatcher()
    } catch {
      logger.warning("cannot watch link changes (a deleted bridge goes unnoticed): \(error)")
    }
    setup.reopenTunnel = { joinBridge in
      let netlink = try RouteNetlink()
      let fresh = try TapDevice(name: name, nonBlocking: true, virtioHeader: virtio)
      do {
        if virtio { try fresh.enableOffloads(segmentation: true) }
        try MeshNode.configureTap(
          fresh.name, mac: mac, mtu: mtu, bridge: joinBridge ? bridge : nil, netlink: netlink)
        return (fresh, try? netlink.linkIndex(name: fresh.name))
      } catch {
        fresh.close()
        throw error
      }
    }
    setup.attachTunnel = {
      try MeshNode.joinBridge(name, bridge: bridge, mtu: mtu, netlink: try RouteNetlink())
    }
    setup.lookUpLinks = {
      guard let netlink = try? RouteNetlink() else { return (nil, nil) }
      return (try? netlink.linkIndex(name: name), try? netlink.linkIndex(name: bridge))
    }
  }
}
