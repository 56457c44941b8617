import MeshAPI
import MeshCore

/// libFuzzer entry point for the control API: the HTTP request parser (whole input, and the
/// same bytes split at two points the fuzzer picks), pipelined requests, the router, JSON
/// bodies, and a synthetic handler that turns every route into a serialized response the way
/// the daemon does, without a daemon. A request may be refused; nothing may crash, and the
/// result must not depend on how the bytes arrive.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size >= 2 else { return 0 }
  let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
  // The first two bytes choose the split points; the rest is the request stream.
  let stream = Array(bytes[2...])
  let cut1 = Int(bytes[0]) * stream.count / 255
  let cut2 = cut1 + (stream.count - cut1) * Int(bytes[1]) / 255

  var whole = HTTPRequestParser()
  let first = whole.feed(stream)
  var split = HTTPRequestParser()
  var second = split.feed(stream[..<cut1])
  if second == .needMore { second = split.feed(stream[cut1..<cut2]) }
  if second == .needMore { second = split.feed(stream[cut2...]) }
  precondition(first == second, "HTTP parse depends on how bytes arrive")
  precondition(whole.bufferedByteCount <= HTTPRequestParser.maxBuffered, "buffer bound")

  // Byte by byte for short inputs: the slowest client.
  if stream.count <= 256 {
    var slow = HTTPRequestParser()
    var third = HTTPRequestParser.Result.needMore
    for b in stream where third == .needMore { third = slow.feed(CollectionOfOne(b)) }
    precondition(first == third, "HTTP parse differs when fed one byte at a time")
  }

  var result = first
  var served = 0
  while case .complete(let request) = result, served < 8 {
    let response = ControlHandlerModel.respond(to: request)
    let wire = response.serialize()
    ControlHandlerModel.checkSerialized(wire, response)
    served += 1
    result = whole.next()
  }
  if case .error(let e) = result {
    precondition((400...599).contains(e.response.status), "error status \(e.response.status)")
    _ = e.response.serialize()
  }

  if let json = try? JSONValue.parse(stream) {
    let text = json.serializedBytes()
    if text.count <= JSONParser.maxInput {
      precondition((try? JSONValue.parse(text)) == json, "JSON does not round-trip")
    }
  }
  return 0
}

/// A stand-in for the daemon's `ControlServer.respond(to:)`: the same routing and endpoint
/// checks, with canned node answers, so the fuzzer reaches every response path without a
/// daemon. Values taken from the request (endpoint text, query items, headers) are echoed into
/// JSON bodies and headers to exercise escaping and header sanitizing.
enum ControlHandlerModel {
  /// The response the daemon would send for `request`.
  static func respond(to request: HTTPRequest) -> HTTPResponse {
    let route: ControlRoute
    switch ControlRouter.route(request) {
    case .success(let r): route = r
    case .failure(let e):
      let response = e.response
      precondition((400...499).contains(response.status), "route error \(response.status)")
      return response
    }
    switch route {
    case .status, .peers:
      var echo = JSONObject()
      for item in request.query.prefix(16) { echo[item.name] = .string(item.value) }
      var response = HTTPResponse.json(.object(echo), status: 200)
      if let agent = request.headers["User-Agent"] { response.headers.set("X-Echo", agent) }
      return response
    case .metrics:
      return .text("meshd_peers 0\n", contentType: "text/plain; version=0.0.4")
    case .connect(let text):
      precondition(!text.isEmpty && text.utf8.count <= ControlRouter.maxEndpointLength)
      guard let endpoint = Endpoint(text) else { return badEndpoint(text) }
      precondition(Endpoint(endpoint.description) == endpoint, "endpoint does not round-trip")
      return .json(["connecting": .string(endpoint.description)], status: 202)
    case .forget(let text):
      guard let endpoint = Endpoint(text) else { return badEndpoint(text) }
      return .json(["forgot": .string(endpoint.description), "found": .bool(false)], status: 404)
    case .release(let text):
      precondition(PeerID(text) != nil, "the router let a bad peer ID through")
      return .json(["released": .string(text), "found": .bool(false)], status: 404)
    }
  }

  static func badEndpoint(_ text: String) -> HTTPResponse {
    .json(["error": .string("\(text) is not HOST[:PORT] with HOST an IP address")], status: 400)
  }

  /// Checks a serialized response: one status line, no header injection (exactly one empty
  /// line before the body), Content-Length equal to the body length.
  static func checkSerialized(_ wire: [UInt8], _ response: HTTPResponse) {
    let crlfcrlf: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
    var headEnd: Int?
    if wire.count >= 4 {
      for i in 0...(wire.count - 4) where Array(wire[i..<i + 4]) == crlfcrlf {
        headEnd = i
        break
      }
    }
    guard let end = headEnd else { preconditionFailure("no end of head") }
    precondition(wire.count - end - 4 == response.body.count, "body length")
    let head = wire[..<end]
    let lines = head.split(separator: 0x0A, omittingEmptySubsequences: false)
    precondition(lines.count == response.headers.count + 3, "header injection")
    for line in lines { precondition(!line.dropLast().contains(0x0D), "bare CR in head") }
    // The JSON body of an API response always parses.
    if response.headers["Content-Type"] == "application/json" {
      precondition((try? JSONValue.parse(Array(response.body.dropLast()))) != nil, "bad JSON")
    }
  }
}
