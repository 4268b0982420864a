import RingGateCodecs
import Testing

@Suite struct JSONTests {
    @Test func keepsOrderDuplicatesAndNumberText() throws {
        let value = try #require(
            JSONParser.parse(
                #" {"where":{"uid":[],"connection_id":{},"groups":["5"]},"n":39069102337167360123,"f":1.50,"a":1,"a":2} "#
            ))
        guard case .object(let members) = value else {
            Issue.record("object expected")
            return
        }
        #expect(members.map(\.key) == ["where", "n", "f", "a", "a"])
        guard case .object(let whereMembers)? = value["where"] else {
            Issue.record("where is an object")
            return
        }
        #expect(whereMembers.map(\.key) == ["uid", "connection_id", "groups"])
        guard case .number(let big)? = value["n"], case .number(let float)? = value["f"] else {
            Issue.record("numbers expected")
            return
        }
        #expect(big.isInteger && big.int64Value == nil && big.text == "39069102337167360123")
        #expect(!float.isInteger && float.text == "1.50" && float.doubleValue == 1.5)
        #expect(value["a"] == .number(JSONNumber(2)), "last duplicate wins, like PHP")
        #expect(value.containerValues?.count == 4)
    }

    @Test func decodesEscapes() {
        #expect(JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(JSONParser.parse(#""\u00e9\u4e2d\ud83d\ude00\u0000""#) == .string("é中😀\u{0}"))
        #expect(JSONParser.parse("\"é中\"") == .string("é中"))
    }

    @Test(arguments: [
        "", " ", "[", "]", "{", "{]", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{1:1}", "01", "1.", ".1",
        "-", "+1", "1e", "1e+", "0x1", "NaN", "Infinity", "tru", "nul", "True", "'a'", "\"a", "\"\\x\"", "\"\\u12\"",
        "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"a\u{1}\"", "\"\t\"", "1 2", "[1] x", "{}{}", "\u{FEFF}1",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(JSONParser.parse(text) == nil)
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22],
        ] {
            #expect(JSONParser.parse(bytes) == nil)
        }
    }

    @Test func acceptsScalarsAndWhitespace() {
        #expect(JSONParser.parse(" \t\r\n null \n") == .null)
        #expect(JSONParser.parse("-0") == .number(JSONNumber(text: "-0")!))
        #expect(JSONParser.parse("1E+2") == .number(JSONNumber(text: "1E+2")!))
        #expect(JSONParser.parse("[[],{}]") == .array([.array([]), .object([])]))
        #expect(JSONNumber(text: "01") == nil)
    }

    @Test func boundsDepthLikePHP() {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        // PHP 8.2: json_decode(str_repeat('[', 511) . str_repeat(']', 511), true) is an array, 512 is
        // "Maximum stack depth exceeded" (the default depth 512 counts the innermost level too).
        #expect(JSONParser.parse(nested(511)) != nil)
        #expect(JSONParser.parse(nested(512)) == nil)
        #expect(
            JSONParser.parse(String(repeating: #"{"a":"#, count: 511) + "1" + String(repeating: "}", count: 511)) != nil
        )
        #expect(
            JSONParser.parse(String(repeating: #"{"a":"#, count: 512) + "1" + String(repeating: "}", count: 512)) == nil
        )
        #expect(JSONParser.parse(nested(3), maxDepth: 3) != nil)
        #expect(JSONParser.parse(nested(4), maxDepth: 3) == nil)
        #expect(JSONParser.parse(String(repeating: "[", count: 100_000)) == nil)
    }

    @Test func writesLikePHPJSONEncode() {
        #expect(
            JSONWriter.encode(.string("a/b\"c\\d\n\u{1}\u{1F}\u{7F}")) == utf8(#""a\/b\"c\\d\n\u0001\u001f"#) + [
                0x7F, 0x22,
            ])
        #expect(JSONWriter.encode(.string("é中😀")) == utf8(#""\u00e9\u4e2d\ud83d\ude00""#))
        #expect(JSONWriter.encode(.string("é/"), escapesSlashes: false, escapesNonASCII: false) == utf8("\"é/\""))
        let value = JSONValue.object([
            ("fields", .array([.string("uid")])),
            ("where", .object([("connection_id", .object([("4", .number(JSONNumber(4)))]))])),
            ("x", .array([.null, .bool(true), .bool(false), .number(JSONNumber(text: "1.5e3")!)])),
        ])
        let text = #"{"fields":["uid"],"where":{"connection_id":{"4":4}},"x":[null,true,false,1.5e3]}"#
        #expect(JSONWriter.encode(value) == utf8(text))
        #expect(JSONParser.parse(text) == value)
    }

    /// The auth bodies of §4.3 as PHP's json_encode writes them.
    @Test func writesAuthBodies() {
        let body = JSONWriter.encode(.object([("worker_key", .string("MyBW:0")), ("secret_key", .string("sek"))]))
        #expect(body == utf8(#"{"worker_key":"MyBW:0","secret_key":"sek"}"#))
    }

    @Test func parsesTheSeedExtData() throws {
        for vector in GatewaySeedVectors.all
        where vector.extData.first == UInt8(ascii: "{") || vector.extData.first == UInt8(ascii: "[") {
            let value = try #require(JSONParser.parse(vector.extData), "\(vector.name)")
            #expect(JSONParser.parse(JSONWriter.encode(value)) == value)
        }
    }
}
