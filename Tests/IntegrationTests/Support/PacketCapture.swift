import Foundation

/// A `tcpdump` capture of one interface inside a namespace, written to a pcap file.
final class PacketCapture {
  /// The pcap file.
  let file: URL
  private let process: BackgroundProcess

  /// Starts capturing every packet on `interface` in `namespace` and waits until tcpdump is
  /// listening. `--immediate-mode` hands each packet to tcpdump at once: without it libpcap
  /// holds packets in its ring until a block fills or times out, and a capture stopped soon
  /// after the traffic loses them.
  init(in net: TestNetwork, namespace: String, interface: String, name: String) async throws {
    file = net.workDirectory.appendingPathComponent("\(name).pcap")
    process = try net.spawn(
      namespace: namespace, name: "tcpdump-\(name)",
      [
        "tcpdump", "--immediate-mode", "-i", interface, "-n", "-U", "-s", "0", "-Z", "root",
        "-w", file.path,
      ])
    let process = self.process
    let ready = await waitUntil(timeout: 10) {
      process.log().contains("listening on") || !process.isRunning
    }
    guard ready, process.isRunning else {
      throw HarnessError("tcpdump on \(interface) in \(namespace) did not start:\n\(process.log())")
    }
  }

  /// Stops the capture (tcpdump flushes the file on SIGTERM).
  func stop() {
    process.stop(grace: 5)
  }

  /// The raw bytes of the pcap file.
  func bytes() throws -> Data {
    try Data(contentsOf: file)
  }

  /// The number of captured packets matching a tcpdump `filter` expression.
  ///
  /// Counts only the lines that start a packet: for protocols it cannot decode (an unknown
  /// ethertype, say) tcpdump adds indented hex-dump lines under the packet's line.
  func count(matching filter: [String]) throws -> Int {
    let result = try Shell.run(["tcpdump", "-r", file.path, "-n"] + filter, timeout: 60)
    guard result.succeeded else { throw HarnessError("reading \(file.path) failed:\n\(result)") }
    return result.stdout.split(separator: "\n").filter { line in
      line.first.map { !$0.isWhitespace } ?? false
    }.count
  }
}
