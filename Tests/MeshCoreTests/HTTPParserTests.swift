import MeshAPI
import MeshCore
import Testing

@Suite struct HTTPParserTests {
  func parseAll(_ text: String) -> HTTPRequestParser.Result {
    var p = HTTPRequestParser()
    return p.feed(Array(text.utf8))
  }

  func request(_ r: HTTPRequestParser.Result) -> HTTPRequest? {
    if case .complete(let req) = r { return req }
    return nil
  }

  func status(_ r: HTTPRequestParser.Result) -> Int? {
    if case .error(let e) = r { return e.status }
    return nil
  }

  @Test func completeCurlRequest() throws {
    let r = parseAll(
      "GET /v1/status HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
    let req = try #require(request(r))
    #expect(req.method == .get)
    #expect(req.path == "/v1/status")
    #expect(req.version == .http11)
    #expect(req.headers["host"] == "x")
    #expect(req.headers["USER-AGENT"] == "curl/8.5.0")
    #expect(req.body.isEmpty)
  }

  @Test func postWithBodyByteByByte() throws {
    let body = #"{"endpoint":"192.0.2.1:6786"}"#
    let text =
      "POST /v1/connect HTTP/1.0\r\nContent-Type: application/json\r\n"
      + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    var p = HTTPRequestParser()
    let bytes = Array(text.utf8)
    for b in bytes.dropLast() { #expect(p.feed([b]) == .needMore) }
    let req = try #require(request(p.feed([bytes.last!])))
    #expect(req.method == .post)
    #expect(req.version == .http10)
    #expect(req.body == Array(body.utf8))
    #expect(p.bufferedByteCount == 0)
  }

  @Test func bareLineFeedsAccepted() throws {
    let req = try #require(request(parseAll("DELETE /a HTTP/1.1\nX: y\n\n")))
    #expect(req.method == .delete)
    #expect(req.headers["x"] == "y")
  }

  @Test func pipelinedGarbageAfterRequest() throws {
    var p = HTTPRequestParser()
    let r = p.feed(Array("GET /metrics HTTP/1.1\r\n\r\n\u{1}\u{2}garbage \r\n\r\n".utf8))
    #expect(request(r)?.path == "/metrics")
    #expect(p.bufferedByteCount > 0)
    #expect(status(p.next()) == 400)
    #expect(status(p.feed(Array("GET / HTTP/1.1\r\n\r\n".utf8))) == 400)  // stays failed
  }

  @Test func pipelinedValidRequests() throws {
    var p = HTTPRequestParser()
    let two = "GET /v1/peers HTTP/1.1\r\n\r\nPUT /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
    #expect(request(p.feed(Array(two.utf8)))?.path == "/v1/peers")
    let second = try #require(request(p.next()))
    #expect(second.method == .put)
    #expect(second.body == Array("hi".utf8))
    #expect(p.next() == .needMore)
  }

  @Test func percentDecodingAndQuery() throws {
    let req = try #require(
      request(
        parseAll(
          "POST /v1/forget?endpoint=%5B2001%3Adb8%3A%3A1%5D%3A6786&x=a+b&flag HTTP/1.1\r\n\r\n")))
    #expect(req.path == "/v1/forget")
    #expect(req.queryValue("endpoint") == "[2001:db8::1]:6786")
    #expect(req.queryValue("x") == "a b")
    #expect(req.queryValue("flag") == "")
    #expect(req.query.count == 3)
    let path = try #require(request(parseAll("GET /v1/st%61tus HTTP/1.1\r\n\r\n")))
    #expect(path.path == "/v1/status")
    #expect(status(parseAll("GET /a%2 HTTP/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("GET /a?b=%zz HTTP/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("GET /a%00 HTTP/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("GET /a%C3%28 HTTP/1.1\r\n\r\n")) == 400)
  }

  @Test func absoluteFormTarget() throws {
    let a = try #require(request(parseAll("GET http://x/v1/status?q=1 HTTP/1.1\r\n\r\n")))
    #expect(a.path == "/v1/status")
    #expect(a.queryValue("q") == "1")
    let b = try #require(request(parseAll("GET http://x HTTP/1.1\r\n\r\n")))
    #expect(b.path == "/")
  }

  @Test func requestLineBounds() {
    let okPath = "/" + String(repeating: "a", count: 2048 - "GET  HTTP/1.1".count - 1)
    #expect(request(parseAll("GET \(okPath) HTTP/1.1\r\n\r\n")) != nil)
    #expect(status(parseAll("GET \(okPath)a HTTP/1.1\r\n\r\n")) == 414)
    // Detected before the line ends.
    var p = HTTPRequestParser()
    #expect(status(p.feed(Array(("GET /" + String(repeating: "a", count: 3000)).utf8))) == 414)
  }

  @Test func headerBounds() {
    var many = "GET / HTTP/1.1\r\n"
    for i in 0..<64 { many += "X-\(i): v\r\n" }
    #expect(request(parseAll(many + "\r\n")) != nil)
    #expect(status(parseAll(many + "X-64: v\r\n\r\n")) == 431)
    let big = "GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: 8 * 1024) + "\r\n\r\n"
    #expect(status(parseAll(big)) == 431)
    var p = HTTPRequestParser()
    #expect(p.feed(Array("GET / HTTP/1.1\r\n".utf8)) == .needMore)
    #expect(status(p.feed([UInt8](repeating: 0x61, count: 9000))) == 431)
  }

  @Test func bodyBounds() {
    let max = 64 * 1024
    let ok =
      "PUT /x HTTP/1.1\r\nContent-Length: \(max)\r\n\r\n" + String(repeating: "b", count: max)
    #expect(request(parseAll(ok))?.body.count == max)
    #expect(status(parseAll("PUT /x HTTP/1.1\r\nContent-Length: \(max + 1)\r\n\r\n")) == 413)
    #expect(
      status(parseAll("PUT /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")) == 413)
    #expect(status(parseAll("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")) == 501)
    #expect(status(parseAll("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n")) == 400)
    #expect(
      status(parseAll("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")) == 400)
    #expect(status(parseAll("POST /x HTTP/1.1\r\nContent-Length: \r\n\r\n")) == 400)
    #expect(parseAll("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab") == .needMore)
  }

  @Test func malformedRequestLines() {
    #expect(status(parseAll("GET /\r\n\r\n")) == 400)
    #expect(status(parseAll("GET  / HTTP/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("GET / HTTP/1.1 \r\n\r\n")) == 400)
    #expect(status(parseAll("\r\n\r\n")) == 400)
    #expect(status(parseAll("G(T / HTTP/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("PATCH / HTTP/1.1\r\n\r\n")) == 501)
    #expect(status(parseAll("GET / HTTP/2.0\r\n\r\n")) == 505)
    #expect(status(parseAll("GET / HTTX/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("GET v1/status HTTP/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("GET /a#frag HTTP/1.1\r\n\r\n")) == 400)
    #expect(status(parseAll("GET /\u{7F} HTTP/1.1\r\n\r\n")) == 400)
  }

  @Test func malformedHeaders() {
    #expect(status(parseAll("GET / HTTP/1.1\r\nNoColon\r\n\r\n")) == 400)
    #expect(status(parseAll("GET / HTTP/1.1\r\nName : v\r\n\r\n")) == 400)
    #expect(status(parseAll("GET / HTTP/1.1\r\n: v\r\n\r\n")) == 400)
    #expect(status(parseAll("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n")) == 400)
    #expect(status(parseAll("GET / HTTP/1.1\r\nA: b\u{1}c\r\n\r\n")) == 400)
    let trimmed = request(parseAll("GET / HTTP/1.1\r\nA: \t spaced \t\r\n\r\n"))
    #expect(trimmed?.headers["a"] == "spaced")
  }

  @Test func responseSerialization() {
    var r = HTTPResponse.json(["ok": true], status: 200)
    r.headers.add("X-Evil", "a\r\nSet-Cookie: b")
    r.headers.add("Content-Length", "999")
    let text = String(decoding: r.serialize(), as: UTF8.self)
    #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
    #expect(text.contains("Content-Type: application/json\r\n"))
    #expect(text.contains("X-Evil: a  Set-Cookie: b\r\n"))
    #expect(text.contains("Content-Length: 12\r\nConnection: close\r\n\r\n{\"ok\":true}\n"))
    #expect(!text.contains("999"))
    let e = HTTPParseError.headersTooLarge.response
    #expect(e.status == 431)
    #expect(e.reason == "Request Header Fields Too Large")
    #expect(HTTPResponse.text("m 1\n").serialize().count > 0)
  }
}
