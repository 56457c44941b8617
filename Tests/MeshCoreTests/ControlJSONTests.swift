import MeshAPI
import MeshCore
import Testing

@Suite struct ControlJSONTests {
  func parse(_ s: String) -> JSONValue? { try? JSONValue.parse(Array(s.utf8)) }

  @Test func serializesInOrderWithEscapes() {
    let v: JSONValue = [
      "z": 1, "a": [true, false, nil], "s": "q\"b\\n\n\t\r\u{1}\u{1F}\u{7F}é😀",
      "d": 1.5, "whole": 3.0, "big": 1e300, "nan": .double(.nan), "inf": .double(-.infinity),
    ]
    #expect(
      v.serialized()
        == #"{"z":1,"a":[true,false,null],"s":"q\"b\\n\n\t\r\u0001\u001f\u007fé😀","#
        + #""d":1.5,"whole":3.0,"big":1e+300,"nan":null,"inf":null}"#)
  }

  @Test func roundTrips() throws {
    let v: JSONValue = [
      "peers": [["id": "00ff", "rtt": 0.25, "n": -42, "ok": true]], "empty": [:], "list": [],
      "text": "line\nbreak \"quoted\" \u{0}",
    ]
    let back = try JSONValue.parse(v.serializedBytes())
    #expect(back == v)
    if case .object(let o) = back { #expect(o.keys == ["peers", "empty", "list", "text"]) }
  }

  @Test func parsesStrictly() {
    #expect(
      parse(#" {"a" : [1, 2.5e3, -0, "x\u00e9\ud83d\ude00"]} "#)
        == ["a": [1, 2500.0, 0, "xé😀"]])
    #expect(parse("9223372036854775807") == .int(Int.max))
    #expect(parse("9223372036854775808") == .double(9223372036854775808.0))
    for bad in [
      "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "1e", "nul", "tru", "\"\\x\"",
      "\"\u{1}\"", "\"\\ud83d\"", "\"\\ude00\"", "{\"a\":1,\"a\":2}", "[1] [2]", "1e999",
      "{1:2}", "\"abc", "NaN", "Infinity", "// c\n1",
    ] {
      #expect(parse(bad) == nil, "\(bad)")
    }
    #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
  }

  @Test func depthAndSizeBounds() {
    let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
    #expect(parse(ok) != nil)
    let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
    #expect(parse(deep) == nil)
    let huge = "\"" + String(repeating: "a", count: JSONParser.maxInput) + "\""
    #expect(parse(huge) == nil)
  }

  @Test func objectEditing() {
    var o: JSONObject = ["a": 1, "b": 2]
    o["a"] = 3
    o["c"] = 4
    o["b"] = nil
    #expect(o.keys == ["a", "c"])
    #expect(JSONValue.object(o)["a"] == 3)
    #expect(JSONValue.string("x").stringValue == "x")
    #expect(JSONValue.int(1).intValue == 1)
  }
}
