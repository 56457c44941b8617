import Foundation

/// A small Python DNS tool for the DNS server's tests, written into a test network's work
/// directory and run inside namespaces:
///
/// - `upstream --bind ADDR --port N`: a stand-in upstream resolver on UDP and TCP. It answers
///   `outside.example` with one A record (198.51.100.7), `big.example` with 100 A records
///   (so the UDP answer is truncated, TC set, and only TCP carries them all), and NXDOMAIN
///   for anything else.
/// - `flood --server ADDR --port N --count C --name NAME`: sends C queries as fast as it can
///   and prints `FLOODRESULT <sent> <answered>`; with `--seconds S` it floods for S seconds.
/// - `garbage --server ADDR --port N`: sends malformed messages, then one good query, and
///   prints `GARBAGERESULT <answered>` (1 if the good query was still answered).
enum DNSTool {
  /// The file name of the script inside a work directory.
  static let fileName = "dnstool.py"

  /// Writes the script into `directory` and returns its path.
  static func install(in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(fileName)
    try source.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// The two numbers of the `<PREFIX> <a> <b>` line in `log`.
  static func result(_ prefix: String, in log: String) -> [Int]? {
    for line in log.split(separator: "\n") where line.hasPrefix(prefix + " ") {
      return line.split(separator: " ").dropFirst().compactMap { Int($0) }
    }
    return nil
  }

  /// The script.
  static let source = #"""
    import argparse, socket, struct, sys, threading, time

    def qname(msg, off):
        labels = []
        while msg[off] != 0:
            n = msg[off]; labels.append(msg[off+1:off+1+n].decode().lower()); off += 1 + n
        return ".".join(labels), off + 1

    def answer(query, limit):
        qid, flags, qd = struct.unpack("!HHH", query[:6])
        name, end = qname(query, 12)
        question = query[12:end + 4]
        edns = len(query) > end + 4
        if edns and limit < 65535:
            limit = max(512, struct.unpack("!H", query[end + 4 + 3:end + 4 + 5])[0])
        if name == "outside.example":
            addrs = [bytes([198, 51, 100, 7])]
        elif name == "big.example":
            addrs = [bytes([198, 51, 100, i]) for i in range(100)]
        else:
            return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
        records = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) + a for a in addrs)
        msg = struct.pack("!HHHHHH", qid, 0x8180, 1, len(addrs), 0, 0) + question + records
        if len(msg) > limit:
            msg = struct.pack("!HHHHHH", qid, 0x8380, 1, 0, 0, 0) + question
        return msg

    def upstream(args):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((args.bind, args.port))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((args.bind, args.port)); t.listen(16)
        def tcp():
            while True:
                c, _ = t.accept()
                try:
                    n = struct.unpack("!H", c.recv(2, socket.MSG_WAITALL))[0]
                    q = c.recv(n, socket.MSG_WAITALL)
                    a = answer(q, 65535)
                    c.sendall(struct.pack("!H", len(a)) + a)
                    print("tcp query", flush=True)
                except Exception as e:
                    print("tcp error", e, flush=True)
                c.close()
        threading.Thread(target=tcp, daemon=True).start()
        print("READY", flush=True)
        while True:
            q, peer = u.recvfrom(4096)
            try:
                u.sendto(answer(q, 512), peer)
            except Exception as e:
                print("udp error", e, flush=True)

    def query_bytes(qid, name):
        q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        for label in name.split("."):
            q += bytes([len(label)]) + label.encode()
        return q + b"\x00" + struct.pack("!HH", 1, 1)

    def flood(args):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((args.server, args.port))
        s.setblocking(False)
        sent = answered = 0
        end = time.time() + args.seconds if args.seconds else None
        while (end is None and sent < args.count) or (end is not None and time.time() < end):
            try:
                s.send(query_bytes(sent & 0xFFFF, args.name)); sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
            try:
                while True:
                    s.recv(4096); answered += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
        deadline = time.time() + 1
        while time.time() < deadline:
            try:
                s.recv(4096); answered += 1
            except (BlockingIOError, ConnectionRefusedError):
                time.sleep(0.01)
        print("FLOODRESULT %d %d" % (sent, answered), flush=True)

    def garbage(args):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        bad = [b"", b"\x00", b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",
               b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\x3f" * 300,
               b"\x12\x34\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff"]
        for b in bad:
            s.sendto(b, (args.server, args.port))
        time.sleep(0.2)
        s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s2.settimeout(2)
        s2.sendto(query_bytes(7, "nothing.mesh.internal"), (args.server, args.port))
        try:
            s2.recv(4096); ok = 1
        except socket.timeout:
            ok = 0
        print("GARBAGERESULT %d" % ok, flush=True)

    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--bind"); p.add_argument("--server")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=0)
    p.add_argument("--name", default="nothing.mesh.internal")
    a = p.parse_args()
    {"upstream": upstream, "flood": flood, "garbage": garbage}[a.mode](a)
    """#
}
