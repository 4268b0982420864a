import RingGateCodecs
import Testing

/// Parses and re-serializes, expecting byte identity.
func roundTrip(_ text: String) -> [UInt8]? {
    PHPUnserializer.unserialize(utf8(text)).map(PHPSerializer.serialize)
}

@Suite struct PHPSerializationTests {
    @Test(arguments: [
        "N;", "b:0;", "b:1;", "i:0;", "i:-5;", "i:9223372036854775807;", "i:-9223372036854775808;", "d:0.1;",
        "d:1.0E+25;", "d:-0;", "d:INF;", "d:-INF;", "d:NAN;", "d:1.5E-7;", #"s:0:"";"#, #"s:6:"héllo";"#,
        #"s:3:"a"b";"#, "a:0:{}", #"a:2:{i:0;s:1:"x";s:1:"k";a:1:{i:5;b:0;}}"#,
        #"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}"#,
        #"a:1:{i:1;s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";}"#,
        // §10.2 query replies.
        #"a:3:{i:39069102337167360;a:1:{i:0;i:1;}s:3:"abc";a:0:{}i:7;a:0:{}}"#,
        #"a:3:{i:54248935702663168;i:1;s:6:"room-a";i:1;s:3:"zzz";i:0;}"#,
        #"a:2:{i:0;i:54248935702663168;i:1;s:6:"room-a";}"#,
        #"a:1:{i:1;a:1:{s:3:"uid";s:17:"39069102337167360";}}"#,
        #"a:2:{i:3;a:1:{s:3:"uid";s:17:"39069102337167360";}i:4;a:1:{s:3:"uid";s:17:"39069102337167360";}}"#,
        #"a:1:{i:1;a:3:{s:7:"session";s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";s:3:"uid";s:17:"39069102337167360";s:6:"groups";a:2:{i:54248935702663168;s:17:"54248935702663168";s:6:"room-a";s:6:"room-a";}}}"#,
        #"a:1:{i:1;a:3:{s:3:"uid";N;s:6:"groups";a:0:{}s:7:"session";s:0:"";}}"#,
        #"a:1:{i:1;a:1:{s:6:"groups";a:0:{}}}"#, "a:2:{i:0;i:1;i:1;i:2;}", "i:1;",
        // V26 session and opaque tokens.
        #"a:4:{s:2:"os";s:3:"ios";s:7:"version";s:5:"1.2.0";s:12:"build_number";s:2:"57";s:9:"device_id";s:36:"F2E37AD6-8086-4E19-AE4B-3F553CE0A6A5";}"#,
        #"O:8:"stdClass":1:{s:1:"a";a:1:{i:0;i:1;}}"#, #"a:2:{i:0;O:1:"A":0:{}i:1;r:2;}"#,
        #"a:2:{i:0;i:1;i:1;R:2;}"#, #"C:3:"Foo":3:{abc}"#, #"E:7:"Foo:Bar";"#, #"a:1:{i:0;a:1:{i:0;R:2;}}"#,
    ])
    func reserializesByteIdentically(_ text: String) {
        #expect(roundTrip(text) == utf8(text))
    }

    @Test(arguments: [GatewayLabVectors.webSocketConnectBodyV4, GatewayLabVectors.webSocketConnectBodyV5])
    func webSocketConnectBodiesRoundTrip(_ body: [UInt8]) throws {
        let value = try #require(PHPUnserializer.unserialize(body))
        #expect(PHPSerializer.serialize(value) == body)
        let top = try #require(value.arrayValue)
        #expect(top.keys == ["get", "server", "cookie"])
    }

    @Test func decodesEveryScalarForm() {
        #expect(PHPUnserializer.unserialize(utf8("i:+5;")) == .int(5))
        #expect(PHPUnserializer.unserialize(utf8("i:007;")) == .int(7))
        #expect(PHPUnserializer.unserialize(utf8("i:-0;")) == .int(0))
        #expect(PHPUnserializer.unserialize(utf8("i:9223372036854775808;")) == .int(.max))
        #expect(PHPUnserializer.unserialize(utf8("i:-9223372036854775809;")) == .int(.min))
        #expect(PHPUnserializer.unserialize(utf8("i:99999999999999999999999999;")) == .int(.max))
        #expect(PHPUnserializer.unserialize(utf8("i:-99999999999999999999999999;")) == .int(.min))
        #expect(PHPUnserializer.unserialize(utf8(#"S:3:"a\41b";"#)) == .string(utf8("aAb")))
        #expect(PHPUnserializer.unserialize(utf8(#"s:2:"\n";"#)) == .string(utf8(#"\n"#)))
        #expect(PHPUnserializer.unserialize(utf8(#"s:1:""";"#)) == .string(utf8("\"")))
        #expect(PHPUnserializer.unserialize([0x73, 0x3A, 0x31, 0x3A, 0x22, 0x00, 0x22, 0x3B]) == .string([0]))
        for float in ["1", "-1", "+1", "1.", ".5", "-.5e+3", "1e5", "1E-5", "0.1"] {
            #expect(
                PHPUnserializer.unserialize(utf8("d:\(float);")) == .float(PHPFloat(text: utf8(float))!), "\(float)")
        }
        #expect(PHPFloat(text: utf8("1.5E-7"))?.value == 1.5e-7)
        #expect(PHPFloat(text: utf8("NAN"))?.value.isNaN == true)
        #expect(PHPFloat(text: utf8("-INF"))?.value == -.infinity)
    }

    @Test func ignoresTrailingBytes() throws {
        #expect(PHPUnserializer.unserialize(utf8("i:1;garbage")) == .int(1))
        let input = utf8("a:0:{}N;")
        let parsed = PHPUnserializer.parsePrefix(input.span)
        let prefix = try #require(parsed)
        #expect(prefix.value == .array([]) && prefix.byteCount == 6)
    }

    @Test(arguments: [
        "", "N", "N:", "b:2;", "b:01;", "b:1", "i:;", "i:1", "i:1.5;", "i: 1;", "i:+;", "d:;", "d:.;", "d:1e;",
        "d:+INF;", "d:-NAN;", "d:inf;", "d:INFX;", "s:1:\"\";", #"s:2:"a";"#, #"s:-1:"";"#, #"s:1:"a""#, #"s:1:"a"x"#,
        #"s:99999999999999999999999:"a";"#, "a:1:{}", "a:1:{i:0;}", "a:-1:{}", "a:0:{", "a:0:{;", "a:1:{i:0;i:1;",
        "a:2:{i:0;i:1;}", "a:1:{d:1;i:1;}", "a:1:{b:1;i:1;}", "a:1:{N;i:1;}", "a:1:{a:0:{}i:1;}", "a:1:{R:1;i:1;}",
        "a:9:{i:0;i:0;}", "}", "x", "R:1;", "r:1;", "a:1:{i:0;r:1;}", "a:1:{i:0;R:2;}", "a:1:{i:0;r:0;}",
        #"O:0:"":0:{}"#, #"O:4:"\Foo":0:{}"#, #"O:3:"F-o":0:{}"#, #"O:3:"Foo":1:{}"#, #"O:3:"Foo":-1:{}"#,
        #"C:3:"Foo":4:{abc}"#, #"C:3:"Foo":-1:{}"#, #"E:3:"Foo";"#, #"E:4:":Bar";"#, #"S:1:"\4";"#, #"S:1:"\zz";"#,
        "a:1:{i:0;b:1;", "a:1:{i:0;b:1;]",
    ])
    func rejectsWhatPHPRejects(_ text: String) {
        #expect(PHPUnserializer.unserialize(utf8(text)) == nil)
    }

    @Test func emptyAndNonCanonicalKeys() throws {
        let value = try #require(
            PHPUnserializer.unserialize(
                utf8(#"a:5:{s:1:"5";i:1;s:2:"05";i:2;s:2:"-0";i:3;s:2:"-3";i:4;S:1:"\37";i:5;}"#)))
        let array = try #require(value.arrayValue)
        #expect(array.keys == [.int(5), .string(utf8("05")), .string(utf8("-0")), .int(-3), .int(7)])
        #expect(PHPSerializer.serialize(value) == utf8(#"a:5:{i:5;i:1;s:2:"05";i:2;s:2:"-0";i:3;i:-3;i:4;i:7;i:5;}"#))
    }

    @Test func duplicateKeysLaterWinsInFirstPosition() {
        let value = PHPUnserializer.unserialize(utf8(#"a:3:{s:1:"a";i:1;s:1:"b";i:2;s:1:"a";i:3;}"#))
        #expect(value == ["a": 3, "b": 2])
        #expect(value.map(PHPSerializer.serialize) == utf8(#"a:2:{s:1:"a";i:3;s:1:"b";i:2;}"#))
    }

    @Test func depthIsBoundedLikePHP() {
        func nested(_ depth: Int) -> [UInt8] {
            utf8(String(repeating: "a:1:{i:0;", count: depth) + "N;" + String(repeating: "}", count: depth))
        }
        #expect(PHPUnserializer.unserialize(nested(10), maxDepth: 10) != nil)
        #expect(PHPUnserializer.unserialize(nested(11), maxDepth: 10) == nil)
        #expect(PHPUnserializer.unserialize(nested(4096)) != nil)
        #expect(PHPUnserializer.unserialize(nested(4097)) == nil)
        #expect(PHPUnserializer.unserialize(utf8("a:1:{i:0;a:0:{}}"), maxDepth: 1) != nil, "empty arrays do not count")
        #expect(PHPUnserializer.unserialize(utf8(#"a:1:{i:0;O:1:"A":0:{}}"#), maxDepth: 1) == nil, "objects count")
    }

    @Test func examinesAtMostMaxBytes() {
        #expect(PHPUnserializer.unserialize(utf8(#"s:5:"hello";"#), maxBytes: 12) == .string(utf8("hello")))
        #expect(PHPUnserializer.unserialize(utf8(#"s:5:"hello";"#), maxBytes: 11) == nil)
    }

    /// A count or length far beyond the input fails before anything is reserved.
    @Test func hostileCountsFailFast() {
        #expect(PHPUnserializer.unserialize(utf8("a:1000000000:{i:0;N;}")) == nil)
        #expect(PHPUnserializer.unserialize(utf8(#"s:1000000000:"x";"#)) == nil)
        #expect(PHPUnserializer.unserialize(utf8(#"O:1:"A":1000000000:{}"#)) == nil)
        #expect(PHPUnserializer.unserialize(utf8(#"C:1:"A":1000000000:{}"#)) == nil)
    }

    @Test func objectsAndReferencesAreOpaque() throws {
        let value = try #require(PHPUnserializer.unserialize(utf8(#"a:2:{i:0;O:1:"A":1:{s:1:"p";i:1;}i:1;r:2;}"#)))
        let array = try #require(value.arrayValue)
        guard case .opaque(let object) = array[0], case .opaque(let reference) = array[1] else {
            Issue.record("expected opaque tokens")
            return
        }
        #expect(object.kind == .object && object.bytes == utf8(#"O:1:"A":1:{s:1:"p";i:1;}"#))
        #expect(reference.kind == .objectReference && reference.bytes == utf8("r:2;"))
        #expect(value.containsReferences)
        #expect(!(PHPUnserializer.unserialize(GatewayLabVectors.webSocketConnectBodyV4)?.containsReferences ?? true))
        // r: must name an object; R: may name anything earlier.
        #expect(PHPUnserializer.unserialize(utf8("a:2:{i:0;i:1;i:1;r:2;}")) == nil)
        #expect(PHPUnserializer.unserialize(utf8("a:2:{i:0;i:1;i:1;R:2;}")) != nil)
        #expect(PHPUnserializer.unserialize(utf8("a:2:{i:0;i:1;i:1;R:3;}")) == nil)
    }

    @Test func literalsAndWriterBuildReplies() {
        // The GET_ALL_CLIENT_SESSIONS shape: cid => session string (double serialization).
        let session = GatewayLabVectors.session
        let reply: PHPValue = [1: .string(session)]
        #expect(
            PHPSerializer.serialize(reply) == utf8(#"a:1:{i:1;s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";}"#))
        var writer = PHPSerializedWriter()
        writer.beginArray(count: 3)
        writer.writeKey(PHPKey(normalizing: "39069102337167360"))
        writer.write([1])
        writer.writeKey("abc")
        writer.write([])
        writer.writeKey(PHPKey(normalizing: "7"))
        writer.beginArray(count: 0)
        writer.endArray()
        writer.endArray()
        #expect(writer.bytes == utf8(#"a:3:{i:39069102337167360;a:1:{i:0;i:1;}s:3:"abc";a:0:{}i:7;a:0:{}}"#))
        #expect(
            PHPSerializer.serialize([nil, true, -12, 12.5, "x"])
                == utf8(#"a:5:{i:0;N;i:1;b:1;i:2;i:-12;i:3;d:12.5;i:4;s:1:"x";}"#))
    }

    @Test func floatsPrintLikePHP() {
        let cases: [(Double, String)] = [
            (0.1, "0.1"), (1, "1"), (100, "100"), (1e16, "10000000000000000"), (1e17, "1.0E+17"), (1e100, "1.0E+100"),
            (1.5e-7, "1.5E-7"), (1.2345678901234568e17, "1.2345678901234568E+17"), (0.0001, "0.0001"),
            (0.00001, "1.0E-5"), (-0.0, "-0"), (0, "0"), (.infinity, "INF"), (-.infinity, "-INF"), (.nan, "NAN"),
            (12.5, "12.5"), (-1.5, "-1.5"), (123456789012345.67, "123456789012345.67"),
        ]
        for (value, text) in cases {
            #expect(PHPFloat(value).description == text, "\(value)")
        }
    }
}
