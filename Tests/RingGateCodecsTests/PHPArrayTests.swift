import RingGateCodecs
import Testing

@Suite struct PHPArrayTests {
    /// §9.3 key normalisation table.
    @Test(arguments: [
        ("123", PHPKey.int(123)), ("-3", .int(-3)), ("0", .int(0)), ("05", .string(utf8("05"))),
        (" 1", .string(utf8(" 1"))), ("1 ", .string(utf8("1 "))), ("1.5", .string(utf8("1.5"))),
        ("+1", .string(utf8("+1"))), ("-0", .string(utf8("-0"))), ("", .string([])), ("-", .string(utf8("-"))),
        ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .string(utf8("9223372036854775808"))),
        ("-9223372036854775809", .string(utf8("-9223372036854775809"))),
        ("39069102337167360", .int(39_069_102_337_167_360)), ("room-a", .string(utf8("room-a"))),
        ("00", .string(utf8("00"))), ("1e3", .string(utf8("1e3"))), ("0x1A", .string(utf8("0x1A"))),
    ])
    func normalisesStringKeys(text: String, key: PHPKey) {
        #expect(PHPKey(normalizing: text) == key)
    }

    @Test func normalisesJSONKeys() throws {
        let list = try #require(
            JSONParser.parse(#"[42,"42","u2",true,false,null,1.9,-1.9,"05",9223372036854775807,1e19,[1]]"#))
        let keys = try #require(list.containerValues).map { PHPKey(json: $0) }
        #expect(
            keys == [
                .int(42), .int(42), .string(utf8("u2")), .int(1), .int(0), .string([]), .int(1), .int(-1),
                .string(utf8("05")), .int(.max), .int(-8_446_744_073_709_551_616), nil,
            ])
        #expect(PHPKey(truncating: .nan) == .int(0) && PHPKey(truncating: -.infinity) == .int(0))
        #expect(PHPKey(truncating: -9_223_372_036_854_775_808.0) == .int(.min))
    }

    @Test func keepsInsertionOrder() {
        var array = PHPArray()
        for key: PHPKey in ["b", 7, "a", -1] { array[key] = .int(1) }
        #expect(array.keys == ["b", 7, "a", -1])
        array["b"] = 2  // existing key keeps its position
        #expect(array.keys == ["b", 7, "a", -1] && array["b"] == 2)
        array["b"] = nil  // removal then re-add moves to the end
        array["b"] = 3
        #expect(array.keys == [7, "a", -1, "b"])
        #expect(array.removeValue(forKey: "zz") == nil)
    }

    @Test func orderSurvivesTheHashIndex() {
        var array = PHPArray()
        for index in 0..<50 { array[.string(utf8("k\(index)"))] = .int(Int64(index)) }
        array["k3"] = "x"
        array["k10"] = nil
        array["k10"] = "y"
        #expect(array.count == 50 && array["k3"] == "x" && array.keys.last == "k10" && array.position(of: "k11") == 10)
        for index in 0..<45 { array[.string(utf8("k\(index)"))] = nil }
        #expect(array.keys == ["k45", "k46", "k47", "k48", "k49"])
        #expect(array["k46"] == 46 && array["k1"] == nil)
    }

    @Test func appendsUnderTheNextFreeInteger() {
        var array: PHPArray = [5: "a", -3: "b"]
        array.append("c")
        #expect(array.keys == [5, -3, 6])
        var negative: PHPArray = [-5: "a"]
        negative.append("b")
        #expect(negative.keys == [-5, 0], "PHP < 8.3 rule")
        var full: PHPArray = [.int(.max): "a"]
        #expect(!full.append("b") && full.count == 1)
        #expect(PHPArray(list: ["x", "y"]).isList && !array.isList)
    }

    /// §9.4, verified against PHP.
    @Test func replaceRecursiveMatchesThePHPExample() throws {
        let base = try #require(
            PHPUnserializer.unserialize(utf8(#"a:1:{s:1:"a";a:2:{s:1:"x";i:1;s:1:"y";a:1:{i:0;i:1;}}}"#))?.arrayValue)
        let update = try #require(
            PHPUnserializer.unserialize(
                utf8(#"a:3:{s:1:"a";a:2:{s:1:"y";i:9;s:1:"z";i:2;}s:1:"5";s:3:"int";s:1:"b";b:1;}"#))?.arrayValue)
        let merged = PHPArrayMerge.replaceRecursive(base, with: update)
        #expect(
            PHPSerializer.serialize(.array(merged))
                == utf8(#"a:3:{s:1:"a";a:3:{s:1:"x";i:1;s:1:"y";i:9;s:1:"z";i:2;}i:5;s:3:"int";s:1:"b";b:1;}"#))
    }

    @Test func replaceRecursiveMergesListsByIndex() {
        let merged = PHPArrayMerge.replaceRecursive(
            ["y": [1, 2, 3], "s": "t", "k": [1]], with: ["y": [9], "s": [1], "k": "v"])
        #expect(merged == ["y": [9, 2, 3], "s": [1], "k": "v"])
    }

    /// §10.1 V39: the "partial" update is the whole session; the result equals it byte for byte.
    @Test func replaceRecursiveOfSeedSessions() throws {
        let stored = utf8(
            #"a:4:{s:2:"os";s:3:"ios";s:7:"version";s:5:"1.2.0";s:12:"build_number";s:2:"57";s:9:"device_id";s:36:"F2E37AD6-8086-4E19-AE4B-3F553CE0A6A5";}"#
        )
        let update = GatewaySeedVectors.all[38].extData
        let merged = PHPArrayMerge.replaceRecursive(
            try #require(PHPUnserializer.unserialize(stored)?.arrayValue),
            with: try #require(PHPUnserializer.unserialize(update)?.arrayValue))
        #expect(PHPSerializer.serialize(.array(merged)) == update)
    }

    @Test func replaceRecursiveHandlesDeepNestingIteratively() throws {
        func nested(_ depth: Int, leaf: PHPValue) -> PHPValue {
            var value = leaf
            for _ in 0..<depth { value = ["n": value] }
            return value
        }
        let merged = PHPArrayMerge.replaceRecursive(
            try #require(nested(3000, leaf: ["a": 1]).arrayValue),
            with: try #require(nested(3000, leaf: ["b": 2]).arrayValue))
        #expect(
            PHPSerializer.serialize(.array(merged)) == PHPSerializer.serialize(nested(3000, leaf: ["a": 1, "b": 2])))
    }
}
