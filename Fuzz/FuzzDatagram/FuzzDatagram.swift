import MeshCore

/// libFuzzer entry point: runs every datagram, inner-message, payload and control-API parser
/// on the input. A parser may reject the input; it must never crash, trap or over-read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = UnsafeRawBufferPointer(start: data, count: size)
  let bytes = Array(input)

  // Outer datagrams.
  if let type = try? WireMessageType.peek(input) {
    switch type {
    case .handshakeInitiation:
      if let m = try? HandshakeInitiation.decode(input) {
        let again = try? m.encode()
        precondition(again == bytes, "initiation does not round-trip")
        _ = try? HandshakePayload.decode(m.noise)
      }
    case .handshakeResponse:
      if let m = try? HandshakeResponse.decode(input) {
        precondition((try? m.encode()) == bytes, "response does not round-trip")
      }
    case .cookieReply:
      if let m = try? CookieReply.decode(input) {
        precondition((try? m.encode()) == bytes, "cookie reply does not round-trip")
      }
    case .transport:
      if let h = try? TransportHeader.parse(input) {
        precondition(h.ciphertextRange.upperBound == size, "ciphertext range")
        // Treat the ciphertext as if it were the decrypted plaintext.
        let inner = UnsafeRawBufferPointer(rebasing: input[h.ciphertextRange])
        checkInner(inner)
      }
    }
  }
  // Every decoder on the raw input, whatever its type byte says.
  _ = try? HandshakeInitiation.decode(input)
  _ = try? HandshakeResponse.decode(input)
  _ = try? CookieReply.decode(input)
  _ = try? TransportHeader.parse(input)
  _ = try? HandshakeMACRanges(messageLength: size)
  checkInner(input)
  if let p = try? HandshakePayload.decode(input) {
    precondition((try? p.encode()) == bytes, "payload does not round-trip")
  }

  // Control API text. Inputs starting with a wire type byte (0...4) would fail on the first
  // byte anyway; skipping them keeps the allocation-heavy text parsers from slowing the
  // binary parsers' exploration.
  guard let lead = bytes.first, lead > 4 else { return 0 }
  // The whole input at once, then split at a point the first byte picks.
  var whole = HTTPRequestParser()
  let first = whole.feed(bytes)
  var split = HTTPRequestParser()
  let cut = Int(lead) % (size + 1)
  var second = split.feed(bytes[..<cut])
  if second == .needMore { second = split.feed(bytes[cut...]) }
  precondition(first == second, "HTTP parse depends on how bytes arrive")
  if case .complete(let request) = first {
    _ = ControlRouter.route(request)
    _ = whole.next()
  }
  if let json = try? JSONValue.parse(bytes) {
    let text = json.serializedBytes()
    if text.count <= JSONParser.maxInput {
      precondition((try? JSONValue.parse(text)) == json, "JSON does not round-trip")
    }
  }
  return 0
}

/// Parses `plaintext` as an inner message and checks the returned ranges lie inside it.
func checkInner(_ plaintext: UnsafeRawBufferPointer) {
  guard let m = try? InnerMessage.parse(plaintext) else { return }
  switch m {
  case .frame(let r), .relayedFrame(_, let r):
    precondition(r.upperBound == plaintext.count, "frame range")
    _ = try? EthernetHeader.parse(plaintext, range: r)
  case .gossip(let r):
    precondition(r.upperBound == plaintext.count, "gossip range")
  case .keepalive, .pathProbe:
    break
  }
}
