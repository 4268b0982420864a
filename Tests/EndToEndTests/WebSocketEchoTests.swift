import RingGate
import RingGateCodecs
import TestSupport
import Testing

/// WebSocket listeners through real sockets: handshake, frame types, control frames, close codes.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct WebSocketEchoTests {
    @Test func handshakeAndEchoKeepFrameType() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server in
            let client = try WebSocketTestClient(port: server.port())
            #expect(client.response.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            #expect(client.response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
            try client.send(text: "héllo")
            #expect(try client.receiveFrame() == .init(fin: true, opcode: 1, payload: Array("héllo".utf8)))
            try client.send(binary: [0, 1, 2, 0xFF])
            #expect(try client.receiveFrame() == .init(fin: true, opcode: 2, payload: [0, 1, 2, 0xFF]))
        }
    }

    @Test(arguments: [0, 125, 126, 65535, 65536, 200_000])
    func payloadLengthBoundaries(length: Int) throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"], shards: 1) { server in
            let client = try WebSocketTestClient(port: server.port())
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
            try client.send(binary: payload)
            let frame = try client.receiveFrame()
            #expect(frame.opcode == 2)
            #expect(frame.payload == payload)
        }
    }

    @Test func fragmentedMessageWithInterleavedPing() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server in
            let client = try WebSocketTestClient(port: server.port())
            try client.connection.send(WebSocketTestClient.frame(opcode: 1, payload: Array("frag".utf8), fin: false))
            try client.connection.send(WebSocketTestClient.frame(opcode: 9, payload: Array("pp".utf8)))
            try client.connection.send(WebSocketTestClient.frame(opcode: 0, payload: Array("ment".utf8), fin: true))
            #expect(try client.receiveFrame() == .init(fin: true, opcode: 10, payload: Array("pp".utf8)))
            #expect(try client.receiveFrame() == .init(fin: true, opcode: 1, payload: Array("fragment".utf8)))
        }
    }

    @Test func framesSentOneByteAtATime() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server in
            let client = try WebSocketTestClient(port: server.port())
            let frames =
                WebSocketTestClient.frame(opcode: 1, payload: Array("slow".utf8))
                + WebSocketTestClient.frame(opcode: 9, payload: Array("p".utf8))
            try client.connection.sendSlowly(frames)
            #expect(try client.receiveFrame().text == "slow")
            #expect(try client.receiveFrame() == .init(fin: true, opcode: 10, payload: Array("p".utf8)))
        }
    }

    @Test func closeHandshakeEchoesCodeThenCloses() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server in
            let client = try WebSocketTestClient(port: server.port())
            try client.connection.send(WebSocketTestClient.frame(opcode: 8, payload: [0x03, 0xE9]))
            #expect(try client.receiveFrame().closeCode == 1001)
            #expect(client.connection.waitForClose())
        }
    }

    @Test func invalidUTF8ClosesWith1007AndUnmaskedWith1002() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server in
            let badText = try WebSocketTestClient(port: server.port())
            try badText.connection.send(WebSocketTestClient.frame(opcode: 1, payload: [0xC0, 0xAF]))
            #expect(try badText.receiveFrame().closeCode == 1007)
            #expect(badText.connection.waitForClose())
            let unmasked = try WebSocketTestClient(port: server.port())
            try unmasked.connection.send([0x81, 0x02, 0x68, 0x69])
            #expect(try unmasked.receiveFrame().closeCode == 1002)
            #expect(unmasked.connection.waitForClose())
            #expect(server.waitFor { $0.badInput[.invalidUTF8] == 1 && $0.badInput[.unmaskedFrame] == 1 })
        }
    }

    /// Close frames RFC 6455 forbids (a code a peer may not send, a 1-byte payload, a reason that is not
    /// UTF-8) are bad input like any bad frame: 1002/1007 on the wire, a log line, `bad_input_total` and a
    /// `protocol_error` close. They used to pass as ordinary client closes, with no line and no counter.
    @Test func forbiddenCloseFramesAreCountedAsBadInput() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server in
            let cases: [(payload: [UInt8], answer: UInt16)] = [
                ([0x03, 0xE7], 1002),  // 999
                ([0x03, 0xED], 1002),  // 1005: never sent on the wire
                ([0x13, 0x88], 1002),  // 5000
                ([0x03], 1002),  // 1-byte payload
                ([0x03, 0xE8, 0xC0, 0xAF], 1007),  // 1000 with a reason that is not UTF-8
            ]
            for (payload, answer) in cases {
                let client = try WebSocketTestClient(port: server.port())
                try client.connection.send(WebSocketTestClient.frame(opcode: 8, payload: payload))
                #expect(try client.receiveFrame().closeCode == answer, "\(payload)")
                #expect(client.connection.waitForClose())
            }
            // A valid close still is an ordinary close.
            let polite = try WebSocketTestClient(port: server.port())
            try polite.connection.send(WebSocketTestClient.frame(opcode: 8, payload: [0x0B, 0xB8] + Array("bye".utf8)))
            #expect(try polite.receiveFrame().closeCode == 3000)
            #expect(
                server.waitFor {
                    $0.badInput[.invalidFrame] == 4 && $0.badInput[.invalidUTF8] == 1 && $0.closes[.protocolError] == 5
                        && $0.closes[.webSocketClose] == 1
                })
        }
    }

    @Test func oversizedMessageClosesWith1009() throws {
        try withGateway(
            listeners: ["websocket://127.0.0.1:0"],
            configure: { $0.listeners[0].maxPackageLength = 1000 }
        ) { server in
            let client = try WebSocketTestClient(port: server.port())
            try client.send(binary: [UInt8](repeating: 1, count: 1001))
            #expect(try client.receiveFrame().closeCode == 1009)
            #expect(client.connection.waitForClose())
        }
    }

    @Test func workermanModeClosesWithoutAFrame() throws {
        try withGateway(
            listeners: ["websocket://127.0.0.1:0"],
            configure: { $0.listeners[0].webSocket.compliance = .workerman }
        ) { server in
            let client = try WebSocketTestClient(port: server.port())
            try client.connection.send(WebSocketTestClient.frame(opcode: 1, payload: [0xC0, 0xAF]))
            #expect(try client.receiveFrame().payload == [0xC0, 0xAF])  // no UTF-8 check in workerman mode
            try client.connection.send([0x81, 0x02, 0x68, 0x69])  // unmasked
            #expect(try client.connection.receiveUntilClosed().isEmpty)
        }
    }

    @Test func handshakeRejections() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server in
            let post = try TestClient(port: server.port())
            try post.send("POST / HTTP/1.1\r\nHost: x\r\n\r\n")
            // workerman 4 answers a non-GET request with an HTTP/1.0 400 (spec §8.3).
            #expect(
                String(decoding: try post.receiveUntilClosed(), as: UTF8.self).hasPrefix(
                    "HTTP/1.0 400 Bad Request\r\nServer: workerman"))
            let version = try TestClient(port: server.port())
            try version.send(
                "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
            #expect(String(decoding: try version.receiveUntilClosed(), as: UTF8.self).hasPrefix("HTTP/1.1 426"))
            let huge = try TestClient(port: server.port())
            try huge.send("GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 1000))
            #expect(String(decoding: try huge.receiveUntilClosed(), as: UTF8.self).contains("400"))
            #expect(server.waitFor { $0.badInput[.headTooLarge] == 1 && $0.badInput[.badHandshake] == 2 })
        }
    }

    @Test func silentClientIsClosedAfterTheHandshakeTimeout() throws {
        try withGateway(
            listeners: ["websocket://127.0.0.1:0"],
            configure: { $0.listeners[0].handshakeTimeoutNanoseconds = 300_000_000 }
        ) { server in
            let silent = try TestClient(port: server.port())
            #expect(silent.waitForClose())
            #expect(server.waitFor { $0.closes[.handshakeTimeout] == 1 })
        }
    }
}
