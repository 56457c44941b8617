import MeshAPI
import MeshCore

/// libFuzzer entry point for the control API: the HTTP request parser (whole input, and the
/// same bytes split at two points the fuzzer picks), pipelined requests, the router, JSON
/// bodies, and a synthetic handler that turns every route into a serialized response the way
/// the daemon does, without a daemon. The same bytes also go to the CLI's side: the HTTP
/// response parser (whole, split, byte by byte, then end of stream) and the typed status
/// decoder and text renderer on any JSON body. Every response the handler writes must read
/// back through the response parser. A request or response may be refused; nothing may crash,
/// and the result must not depend on how the bytes arrive.
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
    ResponseModel.checkReadsBack(wire, response)
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
    ResponseModel.checkStatusDocument(json)
  }

  ResponseModel.checkResponseStream(stream, cut1: cut1, cut2: cut2)
  DockerModel.check(stream, cut1: cut1, cut2: cut2)
  return 0
}

/// The CLI's side of the control API: `HTTPResponseParser`, then `MeshStatus(json:)` and the
/// status text on what it reads.
enum ResponseModel {
  /// Parses `stream` as a response whole, split at the two cuts, and (when short) one byte
  /// at a time, each followed by the end of the stream: the results must agree, and a
  /// complete response must survive serializing and parsing again.
  static func checkResponseStream(_ stream: [UInt8], cut1: Int, cut2: Int) {
    var whole = HTTPResponseParser()
    var first = whole.feed(stream)
    if first == .needMore { first = whole.finish() }
    precondition(first != .needMore, "no answer at the end of the stream")
    precondition(whole.bufferedByteCount == 0, "a finished parser holds no bytes")

    var split = HTTPResponseParser()
    var second = split.feed(stream[..<cut1])
    if second == .needMore { second = split.feed(stream[cut1..<cut2]) }
    if second == .needMore { second = split.feed(stream[cut2...]) }
    if second == .needMore { second = split.finish() }
    precondition(first == second, "HTTP response parse depends on how bytes arrive")

    if stream.count <= 256 {
      var slow = HTTPResponseParser()
      var third = HTTPResponseParser.Result.needMore
      for b in stream where third == .needMore { third = slow.feed(CollectionOfOne(b)) }
      if third == .needMore { third = slow.finish() }
      precondition(first == third, "HTTP response parse differs when fed one byte at a time")
    }

    guard case .complete(let response) = first else { return }
    precondition(response.body.count <= HTTPResponseParser.maxBody, "body bound")
    precondition(response.headers.count <= HTTPResponseParser.maxHeaders, "header bound")
    // Serializing adds Content-Length and Connection, and writes bytes that were not UTF-8 as
    // U+FFFD (three bytes each), which may push a response that was at the head limits over
    // them: that one may be refused, for those limits only.
    checkReadsBack(response.serialize(), response, mayExceedHeadLimits: true)
    if let json = try? JSONValue.parse(response.body, maxInput: JSONParser.maxResponseInput) {
      checkStatusDocument(json)
    }
  }

  /// What `HTTPResponse.serialize()` wrote reads back with the same status, reason and body.
  static func checkReadsBack(
    _ wire: [UInt8], _ response: HTTPResponse, mayExceedHeadLimits: Bool = false
  ) {
    var parser = HTTPResponseParser()
    let result = parser.feed(wire)
    let headLimits: [HTTPResponseParser.Result] = [
      .error(.tooManyHeaders), .error(.headersTooLarge), .error(.statusLineTooLong),
    ]
    if mayExceedHeadLimits, headLimits.contains(result) { return }
    guard case .complete(let back) = result else {
      preconditionFailure("a serialized response does not parse: \(result)")
    }
    precondition(back.status == min(max(response.status, 100), 999), "status")
    precondition(back.body == response.body, "body")
    precondition(back.headers["Content-Length"] == String(response.body.count), "length")
  }

  /// A document that decodes as a status renders as text and encodes back to a document that
  /// decodes to the same values.
  static func checkStatusDocument(_ json: JSONValue) {
    guard let status = try? MeshStatus(json: json), let host = try? MeshStatus.HostFacts(json: json)
    else { return }
    _ = MeshStatusText.render(status, host: host)
    let again = status.json(host: host)
    guard let status2 = try? MeshStatus(json: again),
      let host2 = try? MeshStatus.HostFacts(json: again)
    else { preconditionFailure("a re-encoded status does not decode") }
    precondition(host2 == host, "host facts do not round-trip")
    // Counters above Int.max are clamped on encoding, and NaN never equals itself: compare
    // the re-encoded documents, which must be stable.
    precondition(status2.json(host: host2) == again, "status does not round-trip")
  }
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
    case .names(.list):
      return .json(NameList(names: []).json)
    case .names(.add(let name, _)), .names(.remove(let name, _)):
      precondition(NameRules.isValid(name), "the router let a bad name through")
      return .json(["name": .string(name)], status: 201)
    case .exposure(let exposed):
      precondition(request.method == .post, "expose and hide are POST only")
      return .json(["exposed": .bool(exposed)])
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

/// The Docker side of the name registry: `HTTPResponseStream` (chunked, bounded) fed whole
/// and split must agree, and the container list and event decoders take anything.
enum DockerModel {
  /// Feeds `stream` whole and split at the cuts; the head, body and completion must agree.
  static func check(_ stream: [UInt8], cut1: Int, cut2: Int) {
    let whole = run([stream[...]])
    let split = run([stream[..<cut1], stream[cut1..<cut2], stream[cut2...]])
    precondition(whole == split, "the Docker stream depends on how bytes arrive")
    _ = try? DockerAPI.containers(stream)
    _ = DockerAPI.isNamingEvent(stream)
    var lines = LineSplitter(maxLine: 64)
    if let got = try? lines.feed(stream) {
      precondition(got.allSatisfy { $0.count <= 64 }, "line bound")
    }
  }

  /// The head status, the body, whether it completed, and the error, if any.
  struct Outcome: Equatable {
    var status: Int?
    var body: [UInt8] = []
    var complete = false
    var error: HTTPResponseParseError?
  }

  static func run(_ pieces: [ArraySlice<UInt8>]) -> Outcome {
    var reader = HTTPResponseStream()
    var outcome = Outcome()
    for piece in pieces where outcome.error == nil && !outcome.complete {
      do {
        let output = try reader.feed(piece)
        if let head = output.head { outcome.status = head.status }
        outcome.body += output.body
        outcome.complete = output.complete
      } catch {
        // What arrived before the error depends on the cuts; the error does not.
        outcome = Outcome(error: error)
      }
    }
    return outcome
  }
}
