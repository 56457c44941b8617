@testable import MeshCore
@testable import MeshTypes

/// An in-memory UDP underlay for `NodeLoop`s: it moves datagrams between fake sockets at once,
/// choosing the receiving socket as Linux does (a socket connected to the sender beats the
/// unconnected one bound to the same address), and can cut hosts off or lose everything.
final class FakeUnderlay: @unchecked Sendable {
  private var sockets: [FakeSocket] = []
  /// Addresses whose traffic is lost both ways (a cable cut).
  var cut: Set<Endpoint> = []
  /// Pairs of addresses that cannot reach each other, either way (separate segments joined
  /// only through a third host).
  var severed: [(Endpoint, Endpoint)] = []
  /// Datagrams lost to a cut.
  private(set) var lost = 0
  /// Datagrams no socket took (the kernel's "port unreachable").
  private(set) var unclaimed = 0
  /// Every datagram carried, as (from, to, bytes).
  private(set) var carried: [(from: Endpoint, to: Endpoint, bytes: [UInt8])] = []

  /// Opens an unconnected socket bound to `local`.
  func socket(at local: Endpoint) throws -> FakeSocket {
    let s = try FakeSocket(underlay: self, local: local)
    sockets.append(s)
    return s
  }

  /// A factory for peer sockets on this underlay.
  var factory: FakeSocketFactory { FakeSocketFactory(underlay: self) }

  /// The open sockets bound to `local`.
  func sockets(at local: Endpoint) -> [FakeSocket] {
    sockets.filter { $0.localEndpoint == local }
  }

  func remove(_ socket: FakeSocket) { sockets.removeAll { $0 === socket } }

  func carry(_ bytes: UnsafeRawBufferPointer, from: Endpoint, to: Endpoint) {
    let apart = severed.contains { ($0 == from && $1 == to) || ($0 == to && $1 == from) }
    if apart || cut.contains(from) || cut.contains(to) {
      lost += 1
      return
    }
    carried.append((from, to, Array(bytes)))
    let bound = sockets.filter { $0.localEndpoint == to }
    guard
      let target = bound.first(where: { $0.remote == from })
        ?? bound.first(where: { $0.remote == nil })
    else {
      unclaimed += 1
      return
    }
    target.enqueue(Array(bytes), from: from)
  }
}
