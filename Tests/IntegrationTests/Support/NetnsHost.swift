import Foundation

/// One simulated host: a network namespace with loopback up, an underlay veth end `mshu0`
/// with `192.0.2.<index>/24`, and (when the network made bridges) a `br0` created by
/// `meshd create-bridge` with the overlay address `10.47.0.<index>/16`.
struct NetnsHost: Sendable, CustomStringConvertible {
  /// The namespace name (always starts with `mshit`).
  let namespace: String
  /// The host number, 1-based; it picks the addresses.
  let index: Int

  /// The underlay interface name inside the namespace.
  static let underlayDevice = "mshu0"
  /// The bridge name inside the namespace.
  static let bridge = "br0"
  /// The UDP port the daemons listen on.
  static let meshPort = 6786

  /// The underlay address, e.g. `192.0.2.1`.
  var underlayIP: String { "192.0.2.\(index)" }
  /// The overlay (bridge) address, e.g. `10.47.0.1`.
  var overlayIP: String { "10.47.0.\(index)" }
  /// The overlay address with its prefix, as given to `create-bridge`.
  var overlayCIDR: String { "\(overlayIP)/16" }
  /// The daemon's listen endpoint, `192.0.2.<index>:6786`.
  var meshEndpoint: String { "\(underlayIP):\(NetnsHost.meshPort)" }

  /// `host<index>(<namespace>)`.
  var description: String { "host\(index)(\(namespace))" }

  /// The argv prefix that runs a command inside this namespace.
  func execPrefix() throws -> [String] {
    [try IntegrationEnvironment.ip(), "netns", "exec", namespace]
  }

  /// Runs `argv` inside the namespace and waits for it.
  func run(
    _ argv: [String], stdin: String? = nil, environment: [String: String] = [:],
    timeout: Double = 30
  ) throws -> Shell.Result {
    try Shell.run(
      execPrefix() + argv, stdin: stdin, environment: environment, timeout: timeout)
  }

  /// Sends `count` pings to `address` from inside the namespace; returns whether any answered.
  func ping(_ address: String, count: Int = 1, waitSeconds: Int = 1) -> Bool {
    let result = try? run(
      ["ping", "-n", "-q", "-c", "\(count)", "-W", "\(waitSeconds)", "-i", "0.2", address],
      timeout: Double(count * waitSeconds + 5))
    return result?.succeeded ?? false
  }
}
