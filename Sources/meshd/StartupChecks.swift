import Logging
import MeshAPI
import MeshCore
import MeshIO
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// What `meshd up` checks before the node changes anything: each refusal is one line naming
/// the flag, and nothing (no TAP, no bridge, no socket file) is left behind.
struct StartupChecks {
  let up: Up

  /// `--mtu` must fit the underlay: the mesh MTU plus the encapsulation overhead may not
  /// exceed the MTU of the interface the datagrams leave by.
  func checkMTU() throws {
    guard let mtu = up.mtu, let listen = Endpoint(up.listen) else { return }
    let underlay = UnderlayMTU.detect(listen: listen, exclude: [up.bridge, up.tap])
    let most = MeshNodeConfiguration.meshMTU(underlayMTU: underlay, ipv6: listen.isIPv6)
    guard mtu <= most else {
      throw CLIError(
        "--mtu \(mtu) does not fit the underlay: its MTU is \(underlay), so the mesh MTU can be "
          + "at most \(most)")
    }
  }

  /// `--tap` must name a TAP meshd can create: not the bridge, and not an existing link of
  /// another kind (`lo`, a bridge, a veth). Returns whether the bridge exists already.
  func checkDevices() throws -> Bool {
    guard up.tap != up.bridge else {
      throw CLIError("--tap \(up.tap) is also the --bridge name; the TAP needs a name of its own")
    }
    let netlink = try RouteNetlink()
    if let link = try netlink.linkInfo(name: up.tap), link.kind != "tun" {
      throw CLIError(
        "--tap \(up.tap): a \(link.kind.map { "\($0) " } ?? "")link of that name exists and is "
          + "not a TAP device; choose another name")
    }
    if let link = try netlink.linkInfo(name: up.bridge), link.kind != "bridge" {
      throw CLIError(
        "--bridge \(up.bridge): a \(link.kind.map { "\($0) " } ?? "")link of that name exists "
          + "and is not a bridge")
    }
    return try netlink.linkInfo(name: up.bridge) != nil
  }

  /// The `--listen` address and port must be free: the probe binds without SO_REUSEADDR, so
  /// another meshd (or anything else) holding the port refuses it.
  func checkListenPort() throws {
    guard let listen = Endpoint(up.listen), listen.port != 0 else { return }
    // A predecessor killed a moment ago may still hold the port while it exits (as with the
    // control socket): the port is tried for a few seconds before it counts as taken.
    let clock = ContinuousClock()
    let deadline = clock.now + UnixSocketListener.predecessorGrace
    do {
      while true {
        do {
          let probe = try UDPSocket(bindingTo: listen)
          probe.close()
          return
        } catch let e as SystemError where e.errno == EADDRINUSE && clock.now < deadline {
          usleep(100_000)
        }
      }
    } catch let e as SystemError where e.errno == EADDRINUSE {
      throw CLIError(
        "--listen \(up.listen): address in use (another meshd or another program holds this "
          + "UDP port)")
    } catch {
      throw CLIError("--listen \(up.listen): cannot bind: \(error)")
    }
  }

  /// Deletes the bridge after a failed start when this start created it.
  func removeBridge(ifCreated created: Bool) {
    guard created, let netlink = try? RouteNetlink() else { return }
    _ = try? netlink.deleteLink(name: up.bridge)
  }

  /// A start-up failure as one line naming the flag it concerns, where that is known.
  func explain(_ error: any Error) -> any Error {
    if case .system(let e)? = error as? TapError {
      return CLIError("--tap \(up.tap): cannot create the TAP device: \(e)")
    }
    if let e = error as? InterfaceNameError {
      return CLIError("--tap \(up.tap): \(e)")
    }
    return error
  }
}

/// The host facts the control server reports, set once the node has started.
final class HostFactsBox: Sendable {
  private let facts = Mutex(MeshStatus.HostFacts(listen: "", bridge: "", tap: "", mtu: 0))

  /// The facts; empty until set.
  var value: MeshStatus.HostFacts {
    get { facts.withLock { $0 } }
    set { facts.withLock { $0 = newValue } }
  }
}
