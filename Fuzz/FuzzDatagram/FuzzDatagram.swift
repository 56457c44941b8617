import MeshAPI
import MeshCore

/// libFuzzer entry point: runs every datagram, inner-message, payload and control-API parser,
/// and the frame flow key, on the input. A parser may reject the input; it must never crash, trap or over-read.
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
    case .forwarded:
      if let h = try? ForwardHeader.parse(input) {
        precondition(h.innerRange.upperBound == size, "inner range")
        // The header writes back as it was read, and the hop tag's associated data is read
        // within the datagram.
        var again = [UInt8](repeating: 0, count: ForwardHeader.tagOffset)
        again.withUnsafeMutableBytes { h.write(into: $0) }
        precondition(again[...] == bytes[0..<ForwardHeader.tagOffset], "forward header")
        let n = ForwardHeader.withAuthenticatedData(of: input) { $0.count }
        precondition(n == ForwardHeader.authenticatedLength)
        if let inner = try? WireMessageType.peek(
          UnsafeRawBufferPointer(rebasing: input[h.innerRange])), inner == .transport
        {
          _ = try? TransportHeader.parse(UnsafeRawBufferPointer(rebasing: input[h.innerRange]))
        }
      }
    }
  }
  // Every decoder on the raw input, whatever its type byte says.
  _ = try? HandshakeInitiation.decode(input)
  _ = try? HandshakeResponse.decode(input)
  _ = try? CookieReply.decode(input)
  _ = try? TransportHeader.parse(input)
  _ = try? ForwardHeader.parse(input)
  _ = try? HandshakeMACRanges(messageLength: size)
  checkInner(input)
  checkCoalescer(input)
  // The flow key of a frame read from the TAP: any bytes, never a trap or an over-read, and
  // the same key for the same bytes.
  precondition(
    FrameFlow.key(of: input) == FrameFlow.key(of: UnsafeRawBufferPointer(rebasing: input[...])))
  if let p = try? HandshakePayload.decode(input) {
    precondition((try? p.encode()) == bytes, "payload does not round-trip")
  }

  // Control API text. Inputs starting with a wire type byte (0...5) would fail on the first
  // byte anyway; skipping them keeps the allocation-heavy text parsers from slowing the
  // binary parsers' exploration.
  guard let lead = bytes.first, lead > 5 else { return 0 }
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
  case .frame(let r), .relayedFrame(_, let r), .offloadedFrame(_, let r),
    .relayedOffloadedFrame(_, _, let r):
    precondition(r.upperBound == plaintext.count, "frame range")
    _ = try? EthernetHeader.parse(plaintext, range: r)
  case .gossip(let r):
    precondition(r.upperBound == plaintext.count, "gossip range")
  case .piece(let h, let r):
    precondition(r.upperBound == plaintext.count && r.count == h.length, "piece range")
    precondition(h.isValid && h.offset + h.length <= h.totalLength, "piece cut")
    checkReassembly(h, UnsafeRawBufferPointer(rebasing: plaintext[r]))
  case .observedEndpoint(let e):
    var buffer = [UInt8](repeating: 0, count: 20)
    let n = buffer.withUnsafeMutableBytes { try? InnerMessage.writeObservedEndpoint(e, into: $0) }
    precondition(n == plaintext.count, "observed endpoint round trip")
  case .forwardedDatagram(let r):
    // A forwarded datagram carried in a session: the range is the rest of the plaintext, and
    // its header parses like a type 5 datagram's (or is refused).
    precondition(r.upperBound == plaintext.count, "forwarded datagram range")
    _ = try? ForwardHeader.parse(UnsafeRawBufferPointer(rebasing: plaintext[r]))
  case .keepalive, .pathProbe, .endpointProbe, .punchRequest:
    break
  }
}

/// Feeds a parsed piece to a reassembler, then the message's other pieces cut from the same
/// bytes (as a sender would); the whole message must come back with the piece in its place.
func checkReassembly(_ header: PieceHeader, _ bytes: UnsafeRawBufferPointer) {
  var r = PieceReassembly()
  let peer = PeerID(rawValue: 1)
  let now = MeshInstant(nanoseconds: 1)
  var outcome = r.add(header, bytes, from: peer, now: now)
  precondition(r.add(header, bytes, from: peer, now: now) == .refused, "duplicate piece")
  let filler = [UInt8](repeating: 0xA5, count: header.pieceLength)
  for i in 0..<header.pieceCount where i != header.index {
    var other = header
    other.index = i
    outcome = filler.withUnsafeBytes { f in
      r.add(other, UnsafeRawBufferPointer(rebasing: f[0..<other.length]), from: peer, now: now)
    }
  }
  guard case .complete(let slot, _) = outcome else {
    preconditionFailure("all pieces given, message not whole")
  }
  let message = r.message(in: slot)
  precondition(message.count == header.totalLength, "message length")
  precondition(
    Array(message[header.offset..<(header.offset + header.length)]) == Array(bytes),
    "piece in place")
  r.release(slot)
  precondition(r.inProgress == 0, "slot released")
}

/// Feeds the input to `UDPCoalescer` as a frame, then as a run: up to four frames with the
/// input's first 42 bytes as headers and slices of the rest as payloads (lengths patched so
/// they qualify). Checks the merged frame's lengths and IPv4 checksum, and that unmerging gives
/// the frames back one by one.
func checkCoalescer(_ input: UnsafeRawBufferPointer) {
  let single = UDPCoalescer()
  if single.append(input) {
    let whole = single.finish()
    precondition(whole.count >= VirtioNetHeader.size + UDPCoalescer.headerLength, "run frame")
  }
  guard input.count > UDPCoalescer.headerLength + 4 else { return }
  let header = Array(input[0..<UDPCoalescer.headerLength])
  let rest = Array(input[UDPCoalescer.headerLength...])
  let cuts = Int(rest[0] % 4) + 1
  let size = max(1, rest.count / cuts)
  let run = UDPCoalescer()
  var payloads: [[UInt8]] = []
  var at = 0
  while at < rest.count && payloads.count < cuts {
    let payload = Array(rest[at..<min(at + size, rest.count)])
    var frame = header + payload
    let ipLength = 28 + payload.count
    frame[16] = UInt8(truncatingIfNeeded: ipLength >> 8)
    frame[17] = UInt8(truncatingIfNeeded: ipLength)
    frame[38] = UInt8(truncatingIfNeeded: (ipLength - 20) >> 8)
    frame[39] = UInt8(truncatingIfNeeded: ipLength - 20)
    guard frame.withUnsafeBytes({ run.append($0) }) else { break }
    payloads.append(payload)
    at += size
  }
  guard run.count > 0 else { return }
  let merged = Array(run.finish())
  let frame = Array(merged[VirtioNetHeader.size...])
  precondition(frame.count == UDPCoalescer.headerLength + payloads.joined().count, "run length")
  precondition(Array(frame[UDPCoalescer.headerLength...]) == Array(payloads.joined()), "payloads")
  var sum: UInt32 = 0
  for i in stride(from: 14, to: 34, by: 2) { sum += UInt32(frame[i]) << 8 | UInt32(frame[i + 1]) }
  while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
  precondition(sum == 0xFFFF, "IPv4 header checksum")
  var back: [[UInt8]] = []
  run.unmerge { back.append(Array($0[(VirtioNetHeader.size + UDPCoalescer.headerLength)...])) }
  precondition(back == payloads, "unmerge gives the frames back")
}
