import MeshCore
import MeshIO

/// libFuzzer entry point for configuration text and command-line values: the state-file
/// parsers (`StateDirectory.parse…(text:)`), `Endpoint`, `IPv4Network`, `MACAddress`,
/// `PeerID`, `Base64`, key parsing and interface-name validation. Invalid text must be refused,
/// never crash; valid text must round-trip through its canonical form.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
  let text = String(decoding: bytes, as: UTF8.self)

  // Whole files.
  if case .success(let peers) = StateDirectory.parseKnownPeerEntries(text: text) {
    // The writer's own format (`saveKnownPeers`) reads back as the same entries.
    let again = peers.map { peer in
      peer.unanswered.map {
        "\(peer.endpoint) unanswered-since=\($0.since) attempts=\($0.attempts)\n"
      } ?? "\(peer.endpoint)\n"
    }.joined()
    precondition(
      (try? StateDirectory.parseKnownPeerEntries(text: again).get()) == peers,
      "known peers do not round-trip")
  }
  if case .success(let keys) = StateDirectory.parseAllowedKeys(text: text) {
    let again = keys.map { $0.base64 + "\n" }.joined()
    precondition(
      (try? StateDirectory.parseAllowedKeys(text: again).get()) == keys,
      "allow-list does not round-trip")
  }
  let host = PeerID(rawValue: 1)
  if case .success(let names) = StateDirectory.parseManualNames(text: text, host: host) {
    precondition(names.allSatisfy { NameRules.isValid($0.name) }, "an invalid name parsed")
    let again = names.map { "\($0.name) \(IPv4Network.format($0.address))\n" }.joined()
    precondition(
      (try? StateDirectory.parseManualNames(text: again, host: host).get()) == names,
      "manual names do not round-trip")
  }
  if let name = NameRules.normalized(text) {
    precondition(NameRules.isValid(name) && NameRules.normalized(name) == name, "normalized")
  }
  if case .success(let key) = StateDirectory.parseKey(text: text) {
    precondition(
      (try? StateDirectory.parseKey(text: key.base64).get())?.publicKey == key.publicKey,
      "private key does not round-trip")
  }
  _ = StateDirectory.parseSecret(text: text)
  if let decoded = Base64.decode(text) {
    precondition(Base64.encode(decoded) == text, "base64 is not canonical")
  }
  _ = try? PublicKey(base64: text)
  _ = try? PrivateKey(base64: text)

  // Single values, one per line, as flags and files carry them.
  for line in text.split(separator: "\n", maxSplits: 64).prefix(64) {
    checkValue(String(line))
  }
  checkValue(text)
  return 0
}

/// Every value parser the CLI and the state files use, on one piece of text.
func checkValue(_ value: String) {
  if let e = Endpoint(value) {
    precondition(Endpoint(e.description) == e, "endpoint does not round-trip: \(value)")
    _ = e.isUnspecified
  }
  if let e = Endpoint(value, defaultPort: 1) { _ = e.description }
  if let n = IPv4Network(value) {
    precondition(IPv4Network(n.description) == n, "network does not round-trip: \(value)")
    _ = n.network.contains(n.address)
  }
  if let m = MACAddress(value) {
    precondition(MACAddress(m.description) == m, "MAC does not round-trip: \(value)")
  }
  if let p = PeerID(value) { _ = p.description }
  do {
    try InterfaceName.validate(value)
    precondition(!value.isEmpty && value.utf8.count <= InterfaceName.maximumLength)
  } catch {}
  _ = Endpoint.parseV4(Substring(value))
  _ = Endpoint.parseV6(Substring(value))
}
