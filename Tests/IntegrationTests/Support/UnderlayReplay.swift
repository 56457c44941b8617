import Foundation

/// Replays UDP datagrams from a pcap file, the way an on-path attacker would: a python3 script
/// reads the capture, keeps the datagrams from one address to another whose first byte is one
/// of the given wire types, optionally flips bits in them, and sends each from inside a
/// namespace with the original source address.
enum UnderlayReplay {
  /// How replayed datagrams are altered.
  enum Mutation: String {
    /// Sent as captured.
    case none
    /// One bit of the counter's top byte and one bit of the tag flipped: a counter never seen
    /// and a tag that does not verify, so the receiver must refuse it on authentication.
    case flipBits = "flip"
  }

  /// The script; arguments: pcap, source IP, destination IP, port, types (comma list), mutation.
  static let script = #"""
    import socket, struct, sys
    path, src, dst, port, types, mutation = sys.argv[1:7]
    types = {int(t) for t in types.split(",")}
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off, picked = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            if len(pkt) < 14 or pkt[12:14] != b"\x08\x00":
                continue
            ip = pkt[14:]
        elif linktype == 113:
            ip = pkt[16:]
        else:
            ip = pkt
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        if socket.inet_ntoa(ip[12:16]) != src or socket.inet_ntoa(ip[16:20]) != dst:
            continue
        udp = ip[ihl:]
        if struct.unpack("!H", udp[2:4])[0] != int(port):
            continue
        payload = bytearray(udp[8:])
        if not payload or payload[0] not in types:
            continue
        if mutation == "flip":
            if len(payload) > 16:
                payload[15] ^= 0x40
            payload[-1] ^= 0x01
        picked.append(bytes(payload))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for p in picked:
        s.sendto(p, (dst, int(port)))
    print("replayed", len(picked))
    """#

  /// Sends the matching datagrams of `capture` from `from` to `to`; returns how many it sent.
  static func replay(
    in net: TestNetwork, capture: URL, from: NetnsHost, to: NetnsHost, types: [UInt8],
    mutation: Mutation = .none
  ) throws -> Int {
    let scriptURL = net.workDirectory.appendingPathComponent("replay.py")
    try script.write(to: scriptURL, atomically: true, encoding: .utf8)
    let result = try from.run(
      [
        "python3", scriptURL.path, capture.path, from.underlayIP, to.underlayIP,
        "\(NetnsHost.meshPort)", types.map(String.init).joined(separator: ","), mutation.rawValue,
      ], timeout: 30)
    guard result.succeeded,
      let count = result.stdout.split(separator: " ").last.flatMap({
        Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
      })
    else { throw HarnessError("replay failed:\n\(result)") }
    return count
  }
}
