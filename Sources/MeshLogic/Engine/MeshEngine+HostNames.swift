import MeshTypes

/// A peer the operator gave by host name: the endpoints it resolved to, the peer found there,
/// and when to resolve it again.
struct NamedPeer: Sendable {
  /// The name and port.
  var host: HostPort
  /// What the name resolved to last.
  var endpoints: [Endpoint]
  /// The peer that answered at one of the endpoints, once one did.
  var peer: PeerID?
  /// When the name was last resolved (or a new resolution asked for).
  var lastResolved: MeshInstant
  /// Since when no session with the peer has been up; nil while one is.
  var unreachableSince: MeshInstant?
}

/// Peers given by host name, and dials that reach this host itself. The engine resolves
/// nothing: the runtime resolves names (at start and whenever the engine asks with a
/// `resolveName` event) and hands the endpoints in.
extension MeshEngine {
  /// Starts connecting to `host`, which resolved to `endpoints`; when no session with it is up
  /// for `MeshEngineConfiguration.nameRetryInterval`, the engine asks for the name to be
  /// resolved again (a host whose address changed is found again).
  public mutating func connect(_ host: HostPort, resolvedTo endpoints: [Endpoint], now: MeshInstant)
  {
    if host.isName {
      namedPeers[host] = NamedPeer(host: host, endpoints: endpoints, lastResolved: now)
    }
    for endpoint in endpoints { connect(endpoint, now: now) }
  }

  /// A name asked for with `resolveName` resolved to `endpoints`: new addresses are dialled,
  /// addresses it no longer has stop being dialled (a peer there keeps its own retries).
  public mutating func resolved(_ host: HostPort, to endpoints: [Endpoint], now: MeshInstant) {
    guard var named = namedPeers[host] else { return }
    let old = named.endpoints
    named.endpoints = endpoints
    named.lastResolved = now
    namedPeers[host] = named
    for endpoint in endpoints where !old.contains(endpoint) { connect(endpoint, now: now) }
    for endpoint in old where !endpoints.contains(endpoint) {
      guard let dial = dials[endpoint], dial.learnedFrom == nil else { continue }
      if let i = dial.pendingInitiation { initiations[i] = nil }
      dials[endpoint] = nil
      endpointsVersion &+= 1
    }
  }

  /// Stops connecting to the peer given as `host` (every endpoint it resolved to) and drops
  /// it. Returns whether anything was known.
  @discardableResult
  public mutating func forget(_ host: HostPort, resolvedTo endpoints: [Endpoint]) -> Bool {
    let named = namedPeers.removeValue(forKey: host)
    var found = named != nil
    var all = endpoints
    for endpoint in named?.endpoints ?? [] where !all.contains(endpoint) { all.append(endpoint) }
    if let literal = host.literal, !all.contains(literal) { all.append(literal) }
    for endpoint in all where forget(endpoint) { found = true }
    return found
  }

  /// The names given as peers, with what they resolved to (for status and tests).
  public var peerNames: [HostPort: [Endpoint]] {
    namedPeers.mapValues(\.endpoints)
  }

  /// Asks for names whose peer has been unreachable for `nameRetryInterval` to be resolved
  /// again.
  mutating func tickNames(now: MeshInstant, out: inout some EngineOutput) {
    let interval = configuration.nameRetryInterval
    for (host, var named) in namedPeers {
      if named.peer == nil {
        named.peer = peers.values.first { named.endpoints.contains($0.endpoint) }?.id
      }
      if let peer = named.peer, peers[peer]?.isUp == true {
        named.unreachableSince = nil
      } else {
        let since = named.unreachableSince ?? now
        named.unreachableSince = since
        let waited = min(now.seconds(since: since), now.seconds(since: named.lastResolved))
        if waited >= interval {
          named.lastResolved = now
          out.event(.resolveName(host))
        }
      }
      namedPeers[host] = named
    }
  }

  /// Our own initiation came back to us: the endpoint it went to is this host. The dial stops,
  /// the endpoint is never dialled again, and one event says why.
  mutating func dialledSelf(initiation index: UInt32, out: inout some EngineOutput) {
    guard let pending = initiations.removeValue(forKey: index) else { return }
    let endpoint = pending.endpoint
    guard !selfEndpoints.contains(endpoint) else { return }
    if selfEndpoints.count >= MeshLimits.maxSelfEndpoints { selfEndpoints.removeAll() }
    selfEndpoints.insert(endpoint)
    if dials.removeValue(forKey: endpoint) != nil { endpointsVersion &+= 1 }
    for (host, named) in namedPeers where named.endpoints.allSatisfy(selfEndpoints.contains) {
      namedPeers[host] = nil
    }
    out.event(.dialledSelf(endpoint))
  }
}
