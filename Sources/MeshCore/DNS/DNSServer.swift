import Logging
import MeshAPI
import MeshIO
import MeshProtocol
import MeshTypes
import Synchronization

/// The mesh's DNS server: UDP and TCP on the bridge's address, on a thread of its own with
/// its own poller, so a flood of queries never touches the data thread.
///
/// It answers the mesh domain from a ``NameDirectory`` (read per query) and forwards every
/// other name upstream. It binds once the bridge has an IPv4 address (given, or claimed by
/// IPAM later), follows that address when it changes, and binds with SO_BINDTODEVICE so it
/// never answers on the underlay.
///
/// ```swift
/// let dns = DNSServer(configuration: config, names: directory)
/// try dns.start()
/// dns.status()   // address, counters
/// dns.stop()
/// ```
public final class DNSServer: @unchecked Sendable {
  /// The configuration.
  public let configuration: DNSServerConfiguration
  let names: NameDirectory
  let published: Mutex<DNSStatus>
  var thread: OSThread?
  var wake: EventNotifier?
  let stopping = Atomic<Bool>(false)

  /// Creates a server; nothing is opened until ``start()``.
  public init(configuration: DNSServerConfiguration, names: NameDirectory) {
    self.configuration = configuration
    self.names = names
    published = Mutex(
      DNSStatus(
        address: nil, port: Int(configuration.port), domain: configuration.domain.description,
        upstreams: []))
  }

  deinit { stop() }

  /// The upstream resolvers: the configured ones, or the host's, without `own` (the server's
  /// address: forwarding there would loop).
  func upstreams(excluding own: Set<Endpoint.Address>) -> [Endpoint] {
    if let list = configuration.upstreams { return list.filter { !own.contains($0.address) } }
    guard let bytes = try? SecureFile.read(configuration.resolvConfPath, requirePrivate: false)
    else { return [] }
    return ResolvConf.nameservers(SecureFile.text(bytes), excluding: own)
  }

  /// Starts the server's thread. Throws only when the thread or its poller cannot be made;
  /// a port that cannot be bound is logged and retried.
  public func start() throws {
    precondition(thread == nil, "DNSServer.start() called twice")
    let wake = try EventNotifier()
    let loop = try DNSServerLoop(server: self, wake: wake)
    self.wake = wake
    thread = try OSThread.spawn(name: "meshd-dns") { loop.run() }
  }

  /// Stops the thread and closes the sockets. Safe to call more than once.
  public func stop() {
    guard let thread else { return }
    stopping.store(true, ordering: .releasing)
    wake?.signal()
    thread.join()
    self.thread = nil
  }

  /// The address, domain, upstreams and counters, as `/v1/status` shows them.
  public func status() -> DNSStatus { published.withLock { $0 } }
}
