import MeshProtocol

/// What the DNS server does with one query, as ``DNSResolver`` decides it.
public enum DNSDecision: Hashable, Sendable {
  /// Send this answer (authoritative for the mesh domain, or an error response).
  case answer(DNSMessage)
  /// The name is not the mesh's: pass the query to an upstream resolver unchanged.
  case forward
  /// Say nothing (the message was a response, not a query).
  case drop
}
