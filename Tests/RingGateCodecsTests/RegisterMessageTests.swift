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

    @Test func reportsBadAndUnknownLines() {
        for bad in [
            "", "nope", "[]", #"["event"]"#, #"{"event":""}"#, #"{"event":"0"}"#, #"{"event":null}"#, #"{"x":1}"#,
            #"{"event":"gateway_connect"}"#, #"{"event":"gateway_connect","address":""}"#,
            #"{"event":"gateway_connect","address":"0"}"#,
            #"{"event":"broadcast_addresses"}"#, #"{"event":"broadcast_addresses","addresses":"a"}"#,
        ] {
            guard case .badRequest = RegisterMessage.decode(line: utf8(bad)) else {
                Issue.record("\(bad) should be a bad request")
                continue
            }
        }
        #expect(RegisterMessage.decode(line: utf8(#"{"event":"hello"}"#)) == .unknownEvent("hello"))
        #expect(RegisterMessage.decode(line: utf8(#"{"event":5}"#)) == .unknownEvent("5"))
    }
}
