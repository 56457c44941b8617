import MeshProtocol

/// The mesh's names indexed for answering: A targets by name, SRV targets by SRV name, names
/// by address for PTR, and the names that exist only as parents of others.
///
/// Built from the ``NameEntry`` list (relative names) whenever the directory changes; entries
/// whose names are not valid DNS names under the domain are left out.
struct DNSZone {
  /// One SRV answer: the instance's port and the name its address is found under.
  struct ServiceTarget: Hashable {
    var port: UInt16
    var target: DNSName
    var address: UInt32
  }

  /// Addresses by relative name (lowercased), in entry order, without repeats.
  var addresses: [DNSName: [UInt32]] = [:]
  /// SRV answers by relative SRV name: `_SERVICE._tcp` and `_PORT._tcp.SERVICE`.
  var services: [DNSName: [ServiceTarget]] = [:]
  /// Full names by address, for PTR: container and manual names before service names.
  var reverse: [UInt32: [DNSName]] = [:]
  /// Relative names that exist only because names below them do (empty non-terminals).
  var interior: Set<DNSName> = []

  init() {}

  init(entries: [NameEntry], domain: DNSName) {
    let tcp = Array("_tcp".utf8)
    // Container and manual names first: they are the SRV targets and the first PTR names.
    let ordered = entries.filter { $0.kind != .service } + entries.filter { $0.kind == .service }
    var targetByAddress: [UInt32: DNSName] = [:]
    var valid: [(NameEntry, DNSName, DNSName)] = []
    for entry in ordered {
      guard let relative = DNSName(entry.name)?.lowercased, !relative.labels.isEmpty,
        let full = relative.appending(domain)
      else { continue }
      valid.append((entry, relative, full))
      if entry.kind != .service, targetByAddress[entry.address] == nil {
        targetByAddress[entry.address] = full
      }
      if !addresses[relative, default: []].contains(entry.address) {
        addresses[relative, default: []].append(entry.address)
      }
      if !reverse[entry.address, default: []].contains(full) {
        reverse[entry.address, default: []].append(full)
      }
    }
    for (entry, relative, full) in valid where !entry.ports.isEmpty {
      let target = targetByAddress[entry.address] ?? full
      var byService: [DNSName] = []
      if relative.labels.count == 1 {
        let label = Array("_".utf8) + relative.labels[0]
        if label.count <= DNSLimits.maxLabel, let name = DNSName(labels: [label, tcp]) {
          byService.append(name)
        }
      }
      for port in Set(entry.ports).sorted() {
        let t = ServiceTarget(port: port, target: target, address: entry.address)
        for name in byService where !services[name, default: []].contains(t) {
          services[name, default: []].append(t)
        }
        let portLabel = Array("_\(port)".utf8)
        if let name = DNSName(labels: [portLabel, tcp] + relative.labels),
          name.appending(domain) != nil, !services[name, default: []].contains(t)
        {
          services[name, default: []].append(t)
        }
      }
    }
    for name in Array(addresses.keys) + Array(services.keys) {
      var labels = name.labels
      while labels.count > 1 {
        labels.removeFirst()
        if let parent = DNSName(labels: labels) { interior.insert(parent) }
      }
    }
  }

  /// Whether `relative` names anything: a name, an SRV name or a parent of one.
  func exists(_ relative: DNSName) -> Bool {
    addresses[relative] != nil || services[relative] != nil || interior.contains(relative)
  }
}
