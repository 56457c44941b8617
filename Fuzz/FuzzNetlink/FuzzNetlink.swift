import MeshCore
import MeshIO

/// libFuzzer entry point for rtnetlink replies: `NetlinkParser` splits the input into
/// messages, and every message is decoded as an error/ack, a link and an address whatever its
/// type says, with nested attributes followed two levels down. Malformed input must throw,
/// never trap or over-read; what parses must stay inside the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))

  if let messages = try? NetlinkParser.messages(bytes) {
    var total = 0
    for message in messages {
      precondition(Int(message.header.length) == message.payload.count + Netlink.headerSize)
      total += Int(message.header.length)
      check(message)
    }
    precondition(total <= size, "messages longer than the datagram")
  }
  // The input as a bare payload too, under each interesting type, without a header to pass.
  for type in [
    Netlink.MessageType.error, Netlink.MessageType.newLink, Netlink.MessageType.newAddress,
  ] {
    for flags in [UInt16(0), Netlink.Flags.ackTLVs, Netlink.Flags.ackTLVs | Netlink.Flags.capped] {
      let header = NetlinkHeader(
        length: UInt32(truncatingIfNeeded: size + Netlink.headerSize), type: type, flags: flags,
        sequence: 1, portID: 0)
      check(NetlinkMessage(header: header, payload: bytes))
    }
  }
  for start in 0...min(size, 20) {
    walk(try? NetlinkParser.attributes(bytes, from: start), depth: 0)
  }
  _ = try? NetlinkParser.attributes(bytes, from: -1)
  _ = try? NetlinkParser.attributes(bytes, from: size + 1)
  return 0
}

/// Decodes `message` every way the daemon might.
func check(_ message: NetlinkMessage) {
  if let (code, text) = try? NetlinkParser.error(message) {
    precondition(code >= 0, "negative errno")
    if let text { precondition(text.utf8.count <= message.payload.count) }
  }
  if let link = try? NetlinkParser.link(message) {
    precondition(link.name.utf8.count <= message.payload.count * 3)
    _ = link.isUp
    _ = link.hasCarrier
  }
  if let found = try? NetlinkParser.ipv4Address(message) {
    let network = found.network
    precondition((0...32).contains(network.prefixLength))
    _ = network.description
    _ = network.network
  }
}

/// Follows nested attributes and reads every attribute as each value type.
func walk(_ attributes: [NetlinkAttribute]?, depth: Int) {
  guard let attributes else { return }
  for a in attributes {
    _ = try? a.uint32()
    _ = try? a.ipv4()
    _ = a.mac()
    _ = a.string()
    if depth < 2 { walk(try? a.nested(), depth: depth + 1) }
  }
}
