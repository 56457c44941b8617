import Foundation

/// One simulated host: a network namespace with loopback up, one underlay veth end per
/// underlay segment it is on (`mshu0` with `192.0.2.<index>/24` on segment 1, `mshu1` with
/// `198.51.100.<index>/24` on segment 2, `mshu2` with `203.0.113.<index>/24` on segment 3,
/// `mshu3` with the private `10.99.0.<index>/24` on segment 4),
/// and (when the network made bridges) a `br0` created by `meshd create-bridge` with the
/// overlay address `10.47.0.<index>/16`.
struct NetnsHost: Sendable, CustomStringConvertible {
  /// The namespace name (always starts with `mshit`).
  let namespace: String
  /// The host number, 1-based; it picks the addresses.
  let index: Int
  /// The underlay segments (1-based, see `segmentPrefixes`) this host is attached to, in order;
  /// the first is its primary one.
  let segments: [Int]

  /// The /24 prefix of each underlay segment: segment `k` is `segmentPrefixes[k - 1]`.
  static let segmentPrefixes = ["192.0.2", "198.51.100", "203.0.113", "10.99.0"]

  /// Creates a host description; `segments` defaults to segment 1 only.
  init(namespace: String, index: Int, segments: [Int] = [1]) {
    precondition(!segments.isEmpty && segments.allSatisfy { NetnsHost.isValid(segment: $0) })
    self.namespace = namespace
    self.index = index
    self.segments = segments
  }

  /// Whether `segment` names one of the underlay segments.
  static func isValid(segment: Int) -> Bool {
    (1...segmentPrefixes.count).contains(segment)
  }

  /// The underlay interface name inside the namespace on segment 1.
  static let underlayDevice = "mshu0"

  /// The underlay interface name for `segment` (`mshu0` for segment 1, `mshu1` for 2, …).
  static func underlayDevice(segment: Int) -> String { "mshu\(segment - 1)" }

  /// The underlay interface on this host's primary segment.
  var primaryUnderlayDevice: String { NetnsHost.underlayDevice(segment: segments[0]) }

  /// This host's underlay address on `segment`, e.g. `198.51.100.3`.
  func underlayIP(segment: Int) -> String {
    "\(NetnsHost.segmentPrefixes[segment - 1]).\(index)"
  }
  /// The bridge name inside the namespace.
  static let bridge = "br0"
  /// The UDP port the daemons listen on.
  static let meshPort = 6786

  /// The underlay address on the primary segment, e.g. `192.0.2.1`.
  var underlayIP: String { underlayIP(segment: segments[0]) }
  /// The overlay (bridge) address, e.g. `10.47.0.1`.
  var overlayIP: String { "10.47.0.\(index)" }
  /// The overlay address with its prefix, as given to `create-bridge`.
  var overlayCIDR: String { "\(overlayIP)/16" }
  /// The daemon's endpoint on the primary segment, `192.0.2.<index>:6786`.
  var meshEndpoint: String { "\(underlayIP):\(NetnsHost.meshPort)" }

  /// What the daemon listens on: `meshEndpoint` on a host with one segment, the wildcard
  /// address on a host with several (so hosts on every segment reach it).
  var listenEndpoint: String {
    segments.count == 1 ? meshEndpoint : "0.0.0.0:\(NetnsHost.meshPort)"
  }

  /// The segments this host shares with `other`, in this host's order.
  func sharedSegments(with other: NetnsHost) -> [Int] {
    segments.filter(other.segments.contains)
  }

  /// This host's endpoint as `other` dials it: its address on the first segment they share
  /// (nil when they share none).
  func endpoint(reachableFrom other: NetnsHost) -> String? {
    sharedSegments(with: other).first.map { "\(underlayIP(segment: $0)):\(NetnsHost.meshPort)" }
  }

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
