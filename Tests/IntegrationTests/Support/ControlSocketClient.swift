import Foundation

/// Raw HTTP over the daemon's Unix control socket through python3, for requests `meshd` and
/// curl would never send: oversized heads, broken request lines, chunked bodies, floods.
enum ControlSocketClient {
  /// Sends `payload` (python bytes-literal expression) and returns the status line, or
  /// "closed" when the daemon closed without answering.
  static let oneShot = #"""
    import socket, sys
    path, expr = sys.argv[1], sys.argv[2]
    payload = eval(expr)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(payload)
    except OSError:
        pass
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    print(line if line else "closed")
    """#

  /// Connects/forgets endpoints in a loop until `seconds` pass, ignoring failures (the daemon
  /// is being killed and restarted under it).
  static let churn = #"""
    import socket, sys, time, random
    path, seconds = sys.argv[1], float(sys.argv[2])
    rng = random.Random(7)
    end = time.time() + seconds
    while time.time() < end:
        op = rng.choice(["connect", "connect", "forget"])
        ep = "198.51.100.%d:%d" % (rng.randint(1, 254), rng.randint(1000, 1100))
        req = ("POST /v1/%s?endpoint=%s HTTP/1.1\r\nContent-Length: 0\r\n\r\n" % (op, ep)).encode()
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(1)
            s.connect(path)
            s.sendall(req)
            s.recv(4096)
            s.close()
        except OSError:
            time.sleep(0.005)
    """#

  /// Opens a connection and sends a request one byte every 0.5 s, for at most 8 s.
  static let slowloris = #"""
    import socket, sys, time
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    for b in b"GET /v1/status HTTP/1.1\r\nX: a"[:16]:
        try:
            s.send(bytes([b]))
        except OSError:
            break
        time.sleep(0.5)
    """#

  /// Sends one raw request given as a python bytes expression; returns the status line.
  static func send(_ pythonBytes: String, to socket: URL, in net: TestNetwork) throws -> String {
    let script = net.workDirectory.appendingPathComponent("oneshot.py")
    try oneShot.write(to: script, atomically: true, encoding: .utf8)
    let result = try Shell.run(["python3", script.path, socket.path, pythonBytes], timeout: 30)
    guard result.succeeded else { throw HarnessError("raw request failed:\n\(result)") }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
