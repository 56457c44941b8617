import MeshTypes

#if canImport(Glibc)
  import Glibc
#endif

extension RouteNetlink {
  /// Describes the link named `name`, or returns nil if there is none (RTM_GETLINK).
  public func linkInfo(name: String) throws -> LinkInfo? {
    try InterfaceName.validate(name)
    var message = NetlinkMessageBuilder(type: Netlink.MessageType.getLink, flags: 0)
    message.appendLinkHeader()
    message.addAttribute(type: Netlink.LinkAttribute.name, string: name)
    do {
      let replies = try request(message, call: "RTM_GETLINK \(name)")
      guard let reply = replies.first(where: { $0.header.type == Netlink.MessageType.newLink })
      else { return nil }
      return try NetlinkParser.link(reply)
    } catch let error as SystemError where error.errno == ENODEV {
      return nil
    }
  }

  /// The index of the link named `name`, or nil if there is none.
  public func linkIndex(name: String) throws -> Int32? { try linkInfo(name: name)?.index }

  /// Creates a Linux bridge named `name` (RTM_NEWLINK, IFLA_INFO_KIND "bridge"). Throws
  /// ``SystemError`` with EEXIST if a link of that name exists.
  public func createBridge(name: String) throws {
    try InterfaceName.validate(name)
    var message = NetlinkMessageBuilder(
      type: Netlink.MessageType.newLink, flags: Netlink.Flags.create | Netlink.Flags.exclusive)
    message.appendLinkHeader()
    message.addAttribute(type: Netlink.LinkAttribute.name, string: name)
    message.addNested(type: Netlink.LinkAttribute.linkInfo) { info in
      info.addAttribute(type: Netlink.LinkAttribute.infoKind, string: "bridge")
    }
    _ = try request(message, call: "RTM_NEWLINK bridge \(name)")
  }

  /// Creates the bridge `name` unless it exists, and returns its index. Throws ``SystemError``
  /// with EEXIST if a link of that name exists but is not a bridge.
  @discardableResult
  public func ensureBridge(name: String) throws -> Int32 {
    for _ in 0..<3 {
      if let info = try linkInfo(name: name) {
        guard info.kind == "bridge" else {
          throw SystemError(
            call: "ensureBridge \(name)", errno: EEXIST,
            detail: "a link of kind \(info.kind ?? "unknown") has that name")
        }
        return info.index
      }
      do {
        try createBridge(name: name)
      } catch let error as SystemError where error.errno == EEXIST {
        continue  // Created concurrently: look again.
      }
    }
    guard let index = try linkIndex(name: name) else {
      throw SystemError(call: "ensureBridge \(name)", errno: ENODEV, detail: "vanished")
    }
    return index
  }

  /// Makes `link` a port of `master` (IFLA_MASTER), or releases it from its master when
  /// `master` is nil.
  public func setMaster(link: String, master: String?) throws {
    var masterIndex: UInt32 = 0
    if let master { masterIndex = UInt32(bitPattern: try requireIndex(master)) }
    try modifyLink(link, call: "set master of \(link)") {
      $0.addAttribute(type: Netlink.LinkAttribute.master, uint32: masterIndex)
    }
  }

  /// Sets the MTU of `link`.
  public func setMTU(link: String, mtu: Int) throws {
    guard (68...65535).contains(mtu) else {
      throw SystemError(call: "set MTU of \(link)", errno: EINVAL, detail: "MTU \(mtu)")
    }
    try modifyLink(link, call: "set MTU of \(link)") {
      $0.addAttribute(type: Netlink.LinkAttribute.mtu, uint32: UInt32(mtu))
    }
  }

  /// Sets the hardware address of `link`.
  public func setMACAddress(link: String, _ mac: MACAddress) throws {
    try modifyLink(link, call: "set address of \(link)") {
      $0.addAttribute(type: Netlink.LinkAttribute.address, mac: mac)
    }
  }

  /// Brings `link` administratively up (IFF_UP).
  public func setUp(link: String) throws {
    try modifyLink(link, call: "set \(link) up", flags: Netlink.InterfaceFlags.up)
  }

  /// Brings `link` administratively down.
  public func setDown(link: String) throws {
    try modifyLink(link, call: "set \(link) down", flags: 0)
  }

  /// Deletes the link named `name`; returns false if there was none.
  @discardableResult
  public func deleteLink(name: String) throws -> Bool {
    guard let index = try linkIndex(name: name) else { return false }
    var message = NetlinkMessageBuilder(type: Netlink.MessageType.deleteLink, flags: 0)
    message.appendLinkHeader(index: index)
    do {
      _ = try request(message, call: "RTM_DELLINK \(name)")
    } catch let error as SystemError where error.errno == ENODEV {
      return false
    }
    return true
  }

  /// Adds `network` (address and prefix length) to `link`, with the subnet's broadcast
  /// address. Returns false, without error, if the link already has that address.
  @discardableResult
  public func addIPv4Address(link: String, _ network: IPv4Network) throws -> Bool {
    let index = try requireIndex(link)
    var message = NetlinkMessageBuilder(
      type: Netlink.MessageType.newAddress,
      flags: Netlink.Flags.create | Netlink.Flags.exclusive)
    message.appendAddressHeader(
      family: Netlink.Family.inet, prefixLength: UInt8(network.prefixLength),
      index: UInt32(bitPattern: index))
    message.addAttribute(type: Netlink.AddressAttribute.local, ipv4: network.address)
    message.addAttribute(type: Netlink.AddressAttribute.address, ipv4: network.address)
    if network.prefixLength < 31 {
      message.addAttribute(
        type: Netlink.AddressAttribute.broadcast, ipv4: network.networkAddress | ~network.mask)
    }
    do {
      _ = try request(message, call: "RTM_NEWADDR \(network) on \(link)")
    } catch let error as SystemError where error.errno == EEXIST {
      return false
    }
    return true
  }

  /// Removes `network` from `link` (RTM_DELADDR). Returns false, without error, if the link
  /// did not have it.
  @discardableResult
  public func deleteIPv4Address(link: String, _ network: IPv4Network) throws -> Bool {
    let index = try requireIndex(link)
    var message = NetlinkMessageBuilder(type: Netlink.MessageType.deleteAddress, flags: 0)
    message.appendAddressHeader(
      family: Netlink.Family.inet, prefixLength: UInt8(network.prefixLength),
      index: UInt32(bitPattern: index))
    message.addAttribute(type: Netlink.AddressAttribute.local, ipv4: network.address)
    do {
      _ = try request(message, call: "RTM_DELADDR \(network) on \(link)")
    } catch let error as SystemError where error.errno == EADDRNOTAVAIL || error.errno == ENOENT {
      return false
    }
    return true
  }

  /// The IPv4 addresses of `link`, with their prefix lengths (RTM_GETADDR dump).
  public func ipv4Addresses(link: String) throws -> [IPv4Network] {
    let index = try requireIndex(link)
    var message = NetlinkMessageBuilder(type: Netlink.MessageType.getAddress, flags: 0)
    message.appendAddressHeader(family: Netlink.Family.inet)
    var result: [IPv4Network] = []
    for reply in try dump(message, call: "RTM_GETADDR")
    where reply.header.type == Netlink.MessageType.newAddress {
      if let (owner, network) = try NetlinkParser.ipv4Address(reply), owner == index {
        result.append(network)
      }
    }
    return result
  }

  private func requireIndex(_ name: String) throws -> Int32 {
    guard let index = try linkIndex(name: name) else {
      throw SystemError(call: "link \(name)", errno: ENODEV, detail: "no such link")
    }
    return index
  }

  /// RTM_NEWLINK on an existing link: changes the attributes `body` adds and, when `flags`
  /// is given, the IFF_UP bit.
  private func modifyLink(
    _ name: String, call: String, flags: UInt32? = nil,
    _ body: (inout NetlinkMessageBuilder) -> Void = { _ in }
  ) throws {
    let index = try requireIndex(name)
    var message = NetlinkMessageBuilder(type: Netlink.MessageType.newLink, flags: 0)
    message.appendLinkHeader(
      index: index, flags: flags ?? 0, change: flags == nil ? 0 : Netlink.InterfaceFlags.up)
    body(&message)
    _ = try request(message, call: call)
  }
}
