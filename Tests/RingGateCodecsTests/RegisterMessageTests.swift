import RingGateCodecs
import Testing

@Suite struct RegisterMessageTests {
    @Test func encodesPHPBytes() {
        #expect(
            RegisterMessage.gatewayConnect(address: "127.0.0.1:2900", secretKey: "sek").encodedLine
                == utf8(#"{"event":"gateway_connect", "address":"127.0.0.1:2900", "secret_key":"sek"}"# + "\n"))
        #expect(
            RegisterMessage.workerConnect(secretKey: "a/b").encodedLine
                == utf8(#"{"event":"worker_connect","secret_key":"a\/b"}"# + "\n"))
        #expect(RegisterMessage.ping.encodedLine == utf8(#"{"event":"ping"}"# + "\n"))
        #expect(
            RegisterMessage.broadcastAddresses(["127.0.0.1:2900"]).encodedLine
                == utf8(#"{"event":"broadcast_addresses","addresses":["127.0.0.1:2900"]}"# + "\n"))
        #expect(
            RegisterMessage.broadcastAddresses([]).encodedJSON
                == utf8(#"{"event":"broadcast_addresses","addresses":[]}"#))
    }

    /// §10.2: PHP writes `"secret_key":"k"e/y"` (invalid JSON, no Register accepts it); RingGate escapes
    /// what JSON requires and leaves `/` raw as PHP does, so valid secrets stay byte-identical.
    @Test func escapesTheSecretPHPCouldNot() {
        let line = RegisterMessage.gatewayConnect(address: "127.0.0.1:2900", secretKey: #"k"e/y"#).encodedLine
        #expect(line == utf8(#"{"event":"gateway_connect", "address":"127.0.0.1:2900", "secret_key":"k\"e/y"}"# + "\n"))
        #expect(
            RegisterMessage.decode(line: line)
                == .message(.gatewayConnect(address: "127.0.0.1:2900", secretKey: #"k"e/y"#)))
        let unicode = RegisterMessage.gatewayConnect(address: "10.0.0.1:2900", secretKey: "密\\钥\n").encodedJSON
        #expect(unicode == utf8(#"{"event":"gateway_connect", "address":"10.0.0.1:2900", "secret_key":"密\\钥\n"}"#))
    }

    @Test func decodesEveryMessage() {
        #expect(
            RegisterMessage.decode(
                line: utf8(#"{"event":"gateway_connect", "address":"127.0.0.1:2900", "secret_key":"sek"}"# + "\r\n"))
                == .message(.gatewayConnect(address: "127.0.0.1:2900", secretKey: "sek")))
        #expect(
            RegisterMessage.decode(line: utf8(#"{"event":"gateway_connect","address":"a:1"}"#))
                == .message(.gatewayConnect(address: "a:1", secretKey: "")))
        #expect(
            RegisterMessage.decode(line: utf8(#"{"secret_key":5,"event":"worker_connect"}"#))
                == .message(.workerConnect(secretKey: nil)))
        #expect(RegisterMessage.decode(line: utf8(#"{"event":"ping"}"#)) == .message(.ping))
        #expect(
            RegisterMessage.decode(line: utf8(#"{"event":"broadcast_addresses","addresses":["127.0.0.1:2900"]}"#))
                == .message(.broadcastAddresses(["127.0.0.1:2900"])))
    }

    /// §10.2: with a duplicate registration the Register sends an object; consumers iterate values.
    @Test func acceptsAddressesAsAnObject() {
        let line = utf8(
            #"{"event":"broadcast_addresses","addresses":{"0":"127.0.0.1:2900","1":"10.0.0.1:2900","3":"10.0.0.2:2900"}}"#
                + "\n")
        #expect(
            RegisterMessage.decode(line: line)
                == .message(.broadcastAddresses(["127.0.0.1:2900", "10.0.0.1:2900", "10.0.0.2:2900"])))
    }

    /// PHP's `isset($data['secret_key'])` is false for a missing key and for `null`: both mean `""`.
    @Test func nullSecretIsTheEmptySecret() {
        #expect(
            RegisterMessage.decode(line: utf8(#"{"event":"worker_connect","secret_key":null}"#))
                == .message(.workerConnect(secretKey: "")))
        #expect(
            RegisterMessage.decode(line: utf8(#"{"event":"gateway_connect","address":"a:1","secret_key":null}"#))
                == .message(.gatewayConnect(address: "a:1", secretKey: "")))
        #expect(
            RegisterMessage.decode(line: utf8(#"{"event":"worker_connect","secret_key":false}"#))
                == .message(.workerConnect(secretKey: nil)))
    }

    @Test func reportsBadAndUnknownLines() {
        for bad in [
            "", "nope", "[]", #"["event"]"#, #"{"event":""}"#, #"{"event":"0"}"#, #"{"event":null}"#, #"{"x":1}"#,
            #""event""#, #"{"event":"ping"} x"#,
        ] {
            guard case .badRequest = RegisterMessage.decode(line: utf8(bad)) else {
                Issue.record("\(bad) should be a bad request")
                continue
            }
        }
        for (invalid, event) in [
            (#"{"event":"gateway_connect"}"#, "gateway_connect"),
            (#"{"event":"gateway_connect","address":""}"#, "gateway_connect"),
            (#"{"event":"gateway_connect","address":"0"}"#, "gateway_connect"),
            (#"{"event":"gateway_connect","address":2900}"#, "gateway_connect"),
            (#"{"event":"broadcast_addresses"}"#, "broadcast_addresses"),
            (#"{"event":"broadcast_addresses","addresses":"a"}"#, "broadcast_addresses"),
        ] {
            guard case .invalidMessage(event, _) = RegisterMessage.decode(line: utf8(invalid)) else {
                Issue.record("\(invalid) should be an invalid \(event)")
                continue
            }
        }
        #expect(RegisterMessage.decode(line: utf8(#"{"event":"hello"}"#)) == .unknownEvent("hello"))
        #expect(RegisterMessage.decode(line: utf8(#"{"event":5}"#)) == .unknownEvent("5"))
    }
}

/// `array_unique(array_values(…))` as the PHP Register broadcasts it (spec §6, §10.2).
@Suite struct RegisterAddressListTests {
    @Test func distinctRegistrationsAreAList() {
        let list = RegisterAddressList(uniquing: ["127.0.0.1:2900", "10.0.0.1:2900"])
        #expect(list.isList)
        #expect(list == ["127.0.0.1:2900", "10.0.0.1:2900"])
        #expect(
            RegisterMessage.broadcastAddresses(list).encodedLine
                == utf8(#"{"event":"broadcast_addresses","addresses":["127.0.0.1:2900","10.0.0.1:2900"]}"# + "\n"))
    }

    /// §10.2: a duplicate registration in the middle leaves a gap in the keys, so PHP writes an object.
    @Test func duplicateInTheMiddleIsAnObject() {
        let list = RegisterAddressList(uniquing: ["127.0.0.1:2900", "10.0.0.1:2900", "127.0.0.1:2900", "10.0.0.2:2900"])
        #expect(!list.isList)
        #expect(list.entries.map(\.key) == [0, 1, 3])
        #expect(list.addresses == ["127.0.0.1:2900", "10.0.0.1:2900", "10.0.0.2:2900"])
        #expect(
            RegisterMessage.broadcastAddresses(list).encodedLine
                == utf8(
                    #"{"event":"broadcast_addresses","addresses":{"0":"127.0.0.1:2900","1":"10.0.0.1:2900","3":"10.0.0.2:2900"}}"#
                        + "\n"))
    }

    /// Duplicates at the end leave the keys contiguous: still a list.
    @Test func trailingDuplicatesStayAList() {
        let list = RegisterAddressList(uniquing: ["a:1", "b:2", "b:2", "a:1"])
        #expect(list.isList)
        #expect(list.jsonValue == .array([.string("a:1"), .string("b:2")]))
        #expect(RegisterAddressList(uniquing: [String]()).jsonValue == .array([]))
    }

    /// The first address repeated: keys 0 and 2 — an object even with only two entries.
    @Test func duplicateFirstThenDistinct() {
        let list = RegisterAddressList(uniquing: ["a:1", "a:1", "b:2"])
        #expect(list.jsonValue == .object([(key: "0", value: .string("a:1")), (key: "2", value: .string("b:2"))]))
    }

    /// PHP compares bytes: "é" precomposed and decomposed are two addresses, though Swift's `==` equates them.
    @Test func uniquingComparesBytes() {
        let list = RegisterAddressList(uniquing: ["h\u{E9}:1", "he\u{301}:1"])
        #expect(list.entries.count == 2)
    }

    /// The object form decodes to its values; encoding that again is a list of the same values.
    @Test func objectFormRoundTripsToItsValues() {
        let list = RegisterAddressList(uniquing: ["a:1", "b:2", "a:1", "c:3"])
        let line = RegisterMessage.broadcastAddresses(list).encodedLine
        #expect(RegisterMessage.decode(line: line) == .message(.broadcastAddresses(["a:1", "b:2", "c:3"])))
    }
}
