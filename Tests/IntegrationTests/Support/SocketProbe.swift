import Foundation

/// Small TCP/UDP servers and clients in Debian's Python (`/usr/bin/python3`), run inside
/// namespaces: the host exposure tests open connections with them and see which get through.
enum SocketProbe {
  /// The system Python, which has Debian's python3 packages (prometheus_client among them).
  static let python = "/usr/bin/python3"

  /// A server answering `hi` on TCP and UDP port `port` of every address.
  static func serverArguments(port: Int) -> [String] {
    let script = """
      import socket, sys, threading
      port = int(sys.argv[1])
      def udp():
          u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
          u.bind(("0.0.0.0", port))
          while True:
              d, a = u.recvfrom(100)
              u.sendto(b"hi", a)
      threading.Thread(target=udp, daemon=True).start()
      s = socket.socket()
      s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      s.bind(("0.0.0.0", port))
      s.listen(16)
      while True:
          c, _ = s.accept()
          c.sendall(b"hi")
          c.close()
      """
    return [python, "-c", script, "\(port)"]
  }

  /// Connects from inside `namespace` to `address`:`port` over `proto` (`tcp` or `udp`);
  /// returns `ok` when the server answered, else what happened (`timeout`, `error: …`).
  static func probe(
    namespace: String, proto: String, address: String, port: Int
  ) -> String {
    let script = """
      import socket, sys
      proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
      try:
          if proto == "tcp":
              s = socket.create_connection((host, port), timeout=2)
          else:
              s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
              s.settimeout(2)
              s.connect((host, port))
              s.send(b"x")
          print("ok" if s.recv(10) == b"hi" else "bad")
      except socket.timeout:
          print("timeout")
      except OSError as e:
          print("error: " + str(e))
      """
    guard let ip = IntegrationEnvironment.ipPath,
      let result = try? Shell.run(
        [ip, "netns", "exec", namespace, python, "-c", script, proto, address, "\(port)"],
        timeout: 10)
    else { return "cannot run" }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
