import Foundation

/// A small Python traffic tool, written into a test network's work directory and run inside
/// namespaces: a TCP sink that prints the SHA-256 of what it received, a (rate-limited) TCP
/// sender, a UDP garbage generator, a UDP stream of numbered self-checking datagrams with a
/// receiver that counts the intact and the corrupt ones, and a raw Ethernet broadcast sender.
enum NetTool {
  /// The file name of the script inside a work directory.
  static let fileName = "nettool.py"

  /// Writes the script into `directory` and returns its path.
  static func install(in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(fileName)
    try source.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// Parses the `RESULT <sha256> <bytes>` line printed by `recv-sha`.
  static func parseResult(_ log: String) -> (sha256: String, bytes: Int)? {
    for line in log.split(separator: "\n") where line.hasPrefix("RESULT ") {
      let parts = line.split(separator: " ")
      if parts.count == 3, let bytes = Int(parts[2]) { return (String(parts[1]), bytes) }
    }
    return nil
  }

  /// Parses the `UDPRESULT <intact> <corrupt>` line printed by `udp-check`.
  static func parseUDPResult(_ log: String) -> (intact: Int, corrupt: Int)? {
    for line in log.split(separator: "\n") where line.hasPrefix("UDPRESULT ") {
      let parts = line.split(separator: " ")
      if parts.count == 3, let intact = Int(parts[1]), let corrupt = Int(parts[2]) {
        return (intact, corrupt)
      }
    }
    return nil
  }

  /// The script.
  static let source = #"""
    import argparse, hashlib, os, random, socket, struct, sys, time

    def recv_sha(a):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.bind, a.port))
        s.listen(1)
        print("LISTENING", flush=True)
        s.settimeout(a.timeout)
        c, peer = s.accept()
        c.settimeout(a.timeout)
        h = hashlib.sha256()
        n = 0
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            h.update(b)
            n += len(b)
        print("RESULT %s %d" % (h.hexdigest(), n), flush=True)
        c.close()

    def send_file(a):
        deadline = time.time() + a.connect_timeout
        while True:
            try:
                c = socket.create_connection((a.to, a.port), timeout=3)
                break
            except OSError as e:
                if time.time() > deadline:
                    print("CONNECT-FAILED %s" % e, flush=True)
                    sys.exit(2)
                time.sleep(0.2)
        c.settimeout(a.timeout)
        start = time.time()
        sent = 0
        with open(a.file, "rb") as f:
            while True:
                chunk = f.read(max(1, a.rate // 20) if a.rate > 0 else 1 << 20)
                if not chunk:
                    break
                c.sendall(chunk)
                sent += len(chunk)
                if a.rate > 0:
                    ahead = start + sent / a.rate - time.time()
                    if ahead > 0:
                        time.sleep(ahead)
        c.shutdown(socket.SHUT_WR)
        while c.recv(4096):
            pass
        c.close()
        print("SENT %d in %.1f s" % (sent, time.time() - start), flush=True)

    def udp_garbage(a):
        rng = random.Random(a.seed)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent = 0
        for i in range(a.count):
            n = rng.randint(0, 1500)
            d = bytearray(rng.randbytes(n))
            if n >= 4 and rng.random() < 0.4:
                d[0] = rng.randint(1, 4)
                d[1:4] = b"\0\0\0"
            try:
                s.sendto(bytes(d), (a.to, a.port))
                sent += 1
            except OSError:
                time.sleep(0.001)
            if i % 500 == 499:
                time.sleep(0.002)
        print("SENT %d" % sent, flush=True)

    def udp_payload(seq, size):
        # 8-byte sequence number, then bytes derived from it: any corruption shows.
        head = struct.pack("!Q", seq)
        body = hashlib.sha256(head).digest() * (size // 32 + 1)
        return (head + body)[:size]

    def udp_stream(a):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sizes = [int(x) for x in a.sizes.split(",")]
        sent = 0
        if a.gso:
            # Each burst is one send of same-sized datagrams (UDP_SEGMENT): the kernel puts
            # them into the TAP's queue at once, as a fast application would.
            seq, burst, end = a.start, 0, a.start + a.count
            while seq < end:
                size = sizes[burst % len(sizes)]
                n = min(a.burst, end - seq, 65000 // size)
                s.setsockopt(17, 103, size)
                s.sendto(b"".join(udp_payload(seq + i, size) for i in range(n)), (a.to, a.port))
                seq, burst, sent = seq + n, burst + 1, sent + n
                time.sleep(a.pause)
            print("SENT %d" % sent, flush=True)
            return
        for seq in range(a.start, a.start + a.count):
            size = sizes[seq % len(sizes)]
            while True:
                try:
                    s.sendto(udp_payload(seq, size), (a.to, a.port))
                    sent += 1
                    break
                except OSError:
                    time.sleep(0.001)
            if seq % a.burst == a.burst - 1:
                time.sleep(a.pause)
        print("SENT %d" % sent, flush=True)

    def udp_check(a):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((a.bind, a.port))
        print("LISTENING", flush=True)
        seen, corrupt = set(), 0
        s.settimeout(a.timeout)
        try:
            while True:
                d = s.recv(65536)
                s.settimeout(a.idle)
                if len(d) < 9:
                    corrupt += 1
                    continue
                seq = struct.unpack("!Q", d[:8])[0]
                if d != udp_payload(seq, len(d)):
                    corrupt += 1
                else:
                    seen.add(seq)
        except socket.timeout:
            pass
        print("UDPRESULT %d %d" % (len(seen), corrupt), flush=True)

    def send_ether(a):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a.iface, 0))
        with open("/sys/class/net/%s/address" % a.iface) as f:
            src = bytes.fromhex(f.read().strip().replace(":", ""))
        frame = b"\xff" * 6 + src + struct.pack("!H", a.ethertype) + bytes.fromhex(a.payload_hex)
        frame += b"\0" * max(0, 60 - len(frame))
        s.send(frame)
        print("SENT %d" % len(frame), flush=True)

    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv-sha")
    r.add_argument("--bind", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--timeout", type=float, default=120)
    r.set_defaults(fn=recv_sha)
    w = sub.add_parser("send-file")
    w.add_argument("--to", required=True)
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--file", required=True)
    w.add_argument("--rate", type=int, default=0)
    w.add_argument("--timeout", type=float, default=60)
    w.add_argument("--connect-timeout", type=float, default=15)
    w.set_defaults(fn=send_file)
    g = sub.add_parser("udp-garbage")
    g.add_argument("--to", required=True)
    g.add_argument("--port", type=int, required=True)
    g.add_argument("--count", type=int, default=20000)
    g.add_argument("--seed", type=int, default=1)
    g.set_defaults(fn=udp_garbage)
    u = sub.add_parser("udp-stream")
    u.add_argument("--to", required=True)
    u.add_argument("--port", type=int, required=True)
    u.add_argument("--count", type=int, default=4000)
    u.add_argument("--sizes", default="64")
    u.add_argument("--burst", type=int, default=32)
    u.add_argument("--pause", type=float, default=0.002)
    u.add_argument("--gso", action="store_true")
    u.add_argument("--start", type=int, default=0)
    u.set_defaults(fn=udp_stream)
    k = sub.add_parser("udp-check")
    k.add_argument("--bind", required=True)
    k.add_argument("--port", type=int, required=True)
    k.add_argument("--timeout", type=float, default=60)
    k.add_argument("--idle", type=float, default=3)
    k.set_defaults(fn=udp_check)
    e = sub.add_parser("send-ether")
    e.add_argument("--iface", required=True)
    e.add_argument("--ethertype", type=lambda v: int(v, 0), default=0x88B5)
    e.add_argument("--payload-hex", required=True)
    e.set_defaults(fn=send_ether)
    a = p.parse_args()
    a.fn(a)
    """#
}
