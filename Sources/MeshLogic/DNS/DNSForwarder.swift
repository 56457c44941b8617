import MeshProtocol
import MeshTypes

/// The queries passed to upstream resolvers and waiting for their answers.
///
/// Each forwarded query gets a fresh random ID (so clients cannot collide, and an off-path
/// sender must guess it); the answer is matched by that ID and the upstream's address, gets
/// the client's ID back, and is otherwise passed on unchanged. A query unanswered after
/// ``timeoutSeconds`` is tried at the next upstream, once per upstream, then given up.
public struct DNSForwarder: Sendable {
  /// Seconds to wait for one upstream's answer.
  public static let timeoutSeconds = 2.0
  /// The most queries waiting at once; beyond it, new ones are refused.
  public static let maxPending = 1024

  struct Pending {
    var client: Endpoint
    var clientID: UInt16
    var query: [UInt8]
    var upstream: Int
    var tries: Int
    var deadline: MeshInstant
  }

  /// The upstream resolvers, in order of preference.
  public let upstreams: [Endpoint]
  var pending: [UInt16: Pending] = [:]
  var next = 0

  /// Creates a forwarder for `upstreams` (none: every forward is refused).
  public init(upstreams: [Endpoint]) { self.upstreams = upstreams }

  /// How many queries wait for an answer.
  public var pendingCount: Int { pending.count }

  /// Registers `query` (a whole message from `client`) and returns it, with a new ID, and
  /// the upstream to send it to; nil when there is no upstream, the table is full, or the
  /// query is shorter than a header.
  public mutating func forward<R: RandomSource>(
    _ query: [UInt8], from client: Endpoint, now: MeshInstant, random: inout R
  ) -> (bytes: [UInt8], to: Endpoint)? {
    guard !upstreams.isEmpty, pending.count < DNSForwarder.maxPending,
      let clientID = DNSMessage.peekID(query), query.count >= DNSLimits.headerSize
    else { return nil }
    var id = UInt16(truncatingIfNeeded: random.next32())
    while pending[id] != nil { id &+= 1 }
    let upstream = next % upstreams.count
    next &+= 1
    var bytes = query
    bytes[0] = UInt8(id >> 8)
    bytes[1] = UInt8(truncatingIfNeeded: id)
    pending[id] = Pending(
      client: client, clientID: clientID, query: bytes, upstream: upstream, tries: 1,
      deadline: now.adding(seconds: DNSForwarder.timeoutSeconds))
    return (bytes, upstreams[upstream])
  }

  /// Matches an upstream's datagram to a waiting query: returns the answer with the client's
  /// ID restored and the client to send it to, or nil for anything unexpected (unknown ID,
  /// wrong sender, not a response).
  public mutating func answer(_ bytes: [UInt8], from sender: Endpoint) -> (
    bytes: [UInt8], to: Endpoint
  )? {
    guard bytes.count >= DNSLimits.headerSize, bytes[2] & 0x80 != 0,
      let id = DNSMessage.peekID(bytes), let p = pending[id], upstreams[p.upstream] == sender
    else { return nil }
    pending[id] = nil
    var answer = bytes
    answer[0] = UInt8(p.clientID >> 8)
    answer[1] = UInt8(truncatingIfNeeded: p.clientID)
    return (answer, p.client)
  }

  /// Handles the queries whose time ran out at `now`: each is resent to the next upstream it
  /// has not tried (returned), or given up (counted in `gaveUp`).
  public mutating func expire(now: MeshInstant) -> (
    retries: [(bytes: [UInt8], to: Endpoint)], gaveUp: Int
  ) {
    var retries: [(bytes: [UInt8], to: Endpoint)] = []
    var gaveUp = 0
    for (id, var p) in pending where p.deadline <= now {
      guard p.tries < upstreams.count else {
        pending[id] = nil
        gaveUp += 1
        continue
      }
      p.tries += 1
      p.upstream = (p.upstream + 1) % upstreams.count
      p.deadline = now.adding(seconds: DNSForwarder.timeoutSeconds)
      pending[id] = p
      retries.append((p.query, upstreams[p.upstream]))
    }
    return (retries, gaveUp)
  }
}
