import MeshAPI
import MeshCore
import Testing

/// The client side of the control API: what `HTTPResponse.serialize()` writes reads back,
/// however it arrives; everything else is refused with a typed error within the bounds.
@Suite struct HTTPResponseParserTests {
  func parse(_ text: String, close: Bool = true) -> HTTPResponseParser.Result {
    var p = HTTPResponseParser()
    let r = p.feed(Array(text.utf8))
    return r == .needMore && close ? p.finish() : r
  }

  func error(_ r: HTTPResponseParser.Result) -> HTTPResponseParseError? {
    if case .error(let e) = r { return e }
    return nil
  }

  @Test func readsWhatTheDaemonWrites() throws {
    let sent = HTTPResponse.json(["error": "not found", "n": 3], status: 404)
    let wire = sent.serialize()
    var p = HTTPResponseParser()
    guard case .complete(let got) = p.feed(wire) else {
      Issue.record("not complete")
      return
    }
    #expect(got.status == 404)
    #expect(got.reason == "Not Found")
    #expect(got.body == sent.body)
    #expect(got.headers["content-type"] == "application/json")
    #expect(got.headers["Content-Length"] == String(sent.body.count))
    #expect(got.headers["Connection"] == "close")
    // Serializing what was read gives the same bytes again.
    #expect(got.serialize() == wire)
  }

  @Test func sameResultByteByByteAndAtEverySplit() {
    let wire = HTTPResponse.text("meshd_peers 0\n", contentType: "text/plain").serialize()
    var whole = HTTPResponseParser()
    let expected = whole.feed(wire)
    #expect(expected != .needMore)
    var slow = HTTPResponseParser()
    for b in wire.dropLast() { #expect(slow.feed([b]) == .needMore) }
    #expect(slow.feed([wire.last!]) == expected)
    for cut in 0...wire.count {
      var p = HTTPResponseParser()
      var r = p.feed(wire[..<cut])
      if r == .needMore { r = p.feed(wire[cut...]) }
      #expect(r == expected, "split at \(cut)")
    }
  }

  @Test func bodyWithoutContentLengthRunsToTheClose() {
    var p = HTTPResponseParser()
    #expect(p.feed(Array("HTTP/1.0 200 OK\nX: y\n\nhello ".utf8)) == .needMore)
    #expect(p.feed(Array("world".utf8)) == .needMore)
    guard case .complete(let r) = p.finish() else {
      Issue.record("not complete")
      return
    }
    #expect(r.body == Array("hello world".utf8))
    #expect(r.headers["x"] == "y")
  }

  @Test func emptyReasonAndBytesAfterTheBody() {
    var p = HTTPResponseParser()
    guard case .complete(let r) = p.feed(Array("HTTP/1.1 204\r\nContent-Length: 0\r\n\r\nxx".utf8))
    else {
      Issue.record("not complete")
      return
    }
    #expect(r.status == 204 && r.reason.isEmpty && r.body.isEmpty)
    #expect(p.feed(Array("more".utf8)) == .complete(r))  // one response per connection
  }

  @Test(arguments: [
    ("", HTTPResponseParseError.truncated),
    ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", .truncated),
    ("HTTP/1.1 200 OK\r\nContent-Le", .truncated),
    ("HTTP/1.1 2000 OK\r\n\r\n", .malformedStatusLine),
    ("HTTP/1.1 099 Low\r\n\r\n", .malformedStatusLine),
    ("HTTP/1.1\r\n\r\n", .malformedStatusLine),
    ("HTTP/1.1 200 O\u{1}K\r\n\r\n", .malformedStatusLine),
    ("SSH-2.0-OpenSSH\r\n\r\n", .malformedStatusLine),
    ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion),
    ("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", .malformedHeader),
    ("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", .malformedHeader),
    ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .badContentLength),
    ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .badContentLength),
    ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", .bodyTooLarge),
    ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .unsupportedTransferEncoding),
  ])
  func refuses(_ text: String, _ expected: HTTPResponseParseError) {
    #expect(error(parse(text)) == expected)
  }

  @Test func limitsAreEnforcedAsBytesArrive() {
    let longLine = "HTTP/1.1 200 " + String(repeating: "k", count: HTTPResponseParser.maxStatusLine)
    #expect(error(parse(longLine, close: false)) == .statusLineTooLong)
    let manyHeaders = (0...HTTPResponseParser.maxHeaders).map { "X-\($0): v\r\n" }.joined()
    #expect(error(parse("HTTP/1.1 200 OK\r\n" + manyHeaders + "\r\n")) == .tooManyHeaders)
    let bigHeader = "X: " + String(repeating: "v", count: HTTPResponseParser.maxHeaderBytes)
    #expect(error(parse("HTTP/1.1 200 OK\r\n" + bigHeader, close: false)) == .headersTooLarge)
    let tooLong = "Content-Length: \(HTTPResponseParser.maxBody + 1)"
    #expect(error(parse("HTTP/1.1 200 OK\r\n\(tooLong)\r\n\r\n")) == .bodyTooLarge)
    // Without Content-Length the body to the close is bounded too.
    var p = HTTPResponseParser()
    _ = p.feed(Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
    let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
    var r = HTTPResponseParser.Result.needMore
    for _ in 0..<5 where r == .needMore { r = p.feed(chunk) }
    #expect(error(r) == .bodyTooLarge)
    #expect(p.bufferedByteCount == 0)
  }

  @Test func errorsReadAsOneLine() {
    #expect(HTTPResponseParseError.truncated.description.contains("closed"))
    #expect(!HTTPResponseParseError.malformedHeader.description.contains("\n"))
  }
}
