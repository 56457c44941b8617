import Testing

@testable import MeshAPI
@testable import MeshLogic
@testable import MeshTypes

/// Docker's answers as they come off the socket: the container list, the event stream in
/// chunked coding with chunks cut anywhere, and the bounds on both.
@Suite("Docker API codec")
struct DockerAPITests {
  static let list = """
    [{"Id":"abc123","Names":["/Web-1"],"Image":"busybox","Labels":{"meshd.service":"web","x":"y"},\
    "State":"running","Ports":[{"PrivatePort":80,"Type":"tcp"},{"PrivatePort":53,"Type":"udp"},\
    {"IP":"0.0.0.0","PrivatePort":443,"PublicPort":8443,"Type":"tcp"}],\
    "NetworkSettings":{"Networks":{"bridge":{"IPAMConfig":null,"IPAddress":"10.47.1.2","Gateway":"10.47.1.1"}}}},\
    {"Id":"def","Names":["/db"],"Labels":{},"Ports":[],"NetworkSettings":{"Networks":{"none":{"IPAddress":""}}}},\
    {"Names":["/no-id"]}]
    """

  @Test func theContainerListDecodes() throws {
    let containers = try DockerAPI.containers(Array(Self.list.utf8))
    #expect(containers.count == 2)
    #expect(
      containers[0]
        == LocalContainer(
          id: "abc123", name: "Web-1", service: "web", addresses: [0x0A2F_0102],
          tcpPorts: [80, 443]))
    #expect(containers[1] == LocalContainer(id: "def", name: "db", addresses: []))
    #expect(throws: JSONError.self) { _ = try DockerAPI.containers(Array("{}".utf8)) }
    #expect(throws: JSONError.self) { _ = try DockerAPI.containers(Array("[1,".utf8)) }
  }

  @Test func namingEventsAreRecognised() {
    func event(_ type: String, _ action: String) -> [UInt8] {
      Array(#"{"status":"x","id":"abc","Type":"\#(type)","Action":"\#(action)","time":1}"#.utf8)
    }
    #expect(DockerAPI.isNamingEvent(event("container", "start")))
    #expect(DockerAPI.isNamingEvent(event("container", "die")))
    #expect(DockerAPI.isNamingEvent(event("container", "rename")))
    #expect(DockerAPI.isNamingEvent(event("network", "connect")))
    #expect(DockerAPI.isNamingEvent(event("network", "disconnect")))
    #expect(!DockerAPI.isNamingEvent(event("container", "exec_start: sh")))
    #expect(!DockerAPI.isNamingEvent(event("image", "pull")))
    #expect(!DockerAPI.isNamingEvent(Array("not json".utf8)))
  }

  @Test func eventsNameTheirContainer() {
    let die = DockerAPI.event(
      Array(
        #"{"status":"die","id":"abc","Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"exitCode":"137"}}}"#
          .utf8))
    #expect(die == DockerAPI.Event(type: "container", action: "die", container: "abc"))
    let disconnect = DockerAPI.event(
      Array(
        #"{"Type":"network","Action":"disconnect","Actor":{"ID":"net1","Attributes":{"container":"abc","name":"bridge"}}}"#
          .utf8))
    #expect(disconnect?.container == "abc" && disconnect?.changesNames == true)
  }

  /// Docker's list lags its die events: a container that died is left out until it starts.
  @Test func aDiedContainerIsLeftOutUntilItStartsAgain() {
    let web = LocalContainer(id: "abc", name: "web", addresses: [1])
    let db = LocalContainer(id: "def", name: "db", addresses: [2])
    var stopped = StoppedContainers()
    stopped.note(type: "container", action: "die", id: "abc")
    stopped.note(type: "network", action: "disconnect", id: "def")
    #expect(stopped.running([web, db]) == [db])
    stopped.note(type: "container", action: "start", id: "abc")
    #expect(stopped.running([web, db]) == [web, db])
    for n in 0...StoppedContainers.maxRemembered {
      stopped.note(type: "container", action: "die", id: "c\(n)")
    }
    // The oldest is forgotten past the bound.
    #expect(stopped.running([LocalContainer(id: "c0", name: "x", addresses: [])]).count == 1)
    #expect(stopped.running([LocalContainer(id: "c1", name: "x", addresses: [])]).isEmpty)
  }

  @Test func theEventsRequestFiltersServerSide() {
    let request = String(decoding: DockerAPI.request(DockerAPI.eventsPath), as: UTF8.self)
    #expect(request.hasPrefix("GET /events?filters=%7B%22type%22"))
    #expect(request.hasSuffix("\r\n\r\n"))
    #expect(
      DockerAPI.eventsPath.removingPercentEncodingForTest.contains(#""event":["start","die""#))
  }

  /// A chunked event stream, split into pieces of every size from 1 byte up.
  @Test func aChunkedEventStreamDecodesWhateverTheCuts() throws {
    let e1 = #"{"Type":"container","Action":"start","id":"a"}"# + "\n"
    let e2 = #"{"Type":"container","Action":"die","id":"a"}"# + "\n"
    let body = e1 + e2
    // Chunks that cut the events anywhere: 10 bytes, the rest, with an extension.
    let first = String(body.prefix(10))
    let rest = String(body.dropFirst(10))
    let wire =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      + String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n"
      + String(rest.utf8.count, radix: 16, uppercase: true) + ";ext=1\r\n" + rest + "\r\n"
      + "0\r\nX-Trailer: 1\r\n\r\n"
    let bytes = Array(wire.utf8)
    for piece in [1, 2, 3, 7, 64, bytes.count] {
      var stream = HTTPResponseStream()
      var lines = LineSplitter(maxLine: DockerAPI.maxEventLine)
      var got: [[UInt8]] = []
      var head: HTTPResponse?
      var complete = false
      var start = 0
      while start < bytes.count {
        let output = try stream.feed(bytes[start..<min(start + piece, bytes.count)])
        if let h = output.head { head = h }
        got += try lines.feed(output.body)
        complete = output.complete
        start += piece
      }
      #expect(head?.status == 200, "piece \(piece)")
      #expect(complete, "piece \(piece)")
      #expect(got.map { String(decoding: $0, as: UTF8.self) + "\n" } == [e1, e2], "piece \(piece)")
      #expect(got.filter(DockerAPI.isNamingEvent).count == 2)
    }
  }

  @Test func aContentLengthAnswerAndOneThatRunsToTheClose() throws {
    var stream = HTTPResponseStream()
    var out = try stream.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n[]".utf8))
    #expect(out.head?.status == 200 && out.body == Array("[]".utf8) && !out.complete)
    out = try stream.feed(Array("  extra".utf8))
    #expect(out.body == Array("  ".utf8) && out.complete)
    var toClose = HTTPResponseStream()
    out = try toClose.feed(Array("HTTP/1.0 200 OK\r\n\r\n[1]".utf8))
    #expect(out.body == Array("[1]".utf8) && !out.complete)
    try toClose.finish()
    var cut = HTTPResponseStream()
    _ = try cut.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n[]".utf8))
    #expect(throws: HTTPResponseParseError.truncated) { try cut.finish() }
  }

  @Test func chunkedDecodingIsBounded() {
    func decode(_ text: String) throws(HTTPResponseParseError) -> [UInt8] {
      var decoder = ChunkedDecoder()
      var out: [UInt8] = []
      try decoder.decode(Array(text.utf8), into: &out)
      return out
    }
    #expect(throws: HTTPResponseParseError.badChunk) { _ = try decode("zz\r\n") }
    #expect(throws: HTTPResponseParseError.badChunk) { _ = try decode("\r\n") }
    #expect(throws: HTTPResponseParseError.badChunk) {
      _ = try decode("FFFFFFFFFFFFFFFFFFFF\r\n")  // would overflow: refused at the bound
    }
    #expect(throws: HTTPResponseParseError.badChunk) {
      _ = try decode(String(ChunkedDecoder.maxChunkSize + 1, radix: 16) + "\r\n")
    }
    #expect(throws: HTTPResponseParseError.badChunk) { _ = try decode("2\r\nabX") }
    #expect(throws: HTTPResponseParseError.badChunk) {
      _ = try decode(String(repeating: "1", count: ChunkedDecoder.maxSizeLine + 2))
    }
    #expect(throws: HTTPResponseParseError.badChunk) {
      _ = try decode("0\r\n" + String(repeating: "a", count: ChunkedDecoder.maxTrailerBytes + 1))
    }
    #expect((try? decode("3\r\nabc\r\n0\r\n\r\n")) == Array("abc".utf8))
    // A head that asks for another coding, or chunked with a length, is refused.
    var stream = HTTPResponseStream()
    #expect(throws: HTTPResponseParseError.unsupportedTransferEncoding) {
      _ = try stream.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n".utf8))
    }
    var huge = HTTPResponseStream()
    #expect(throws: HTTPResponseParseError.headersTooLarge) {
      _ = try huge.feed(
        Array(("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 10_000)).utf8))
    }
  }

  @Test func overlongEventLinesEndTheStream() {
    var lines = LineSplitter(maxLine: 8)
    #expect((try? lines.feed(Array("short\r\nx".utf8))) == [Array("short".utf8)])
    #expect(throws: LineSplitter.LineTooLong.self) { _ = try lines.feed(Array("123456789".utf8)) }
  }
}

extension String {
  /// `%XX` sequences decoded (test helper for the filter parameter).
  fileprivate var removingPercentEncodingForTest: String {
    var out: [UInt8] = []
    var bytes = Array(utf8)[...]
    while let b = bytes.popFirst() {
      if b == UInt8(ascii: "%"), bytes.count >= 2,
        let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16)
      {
        out.append(v)
        bytes = bytes.dropFirst(2)
      } else {
        out.append(b)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
