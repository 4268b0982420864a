import RingGateCodecs
import Testing

/// Server frames, byte for byte (RFC 6455 §5.2, spec §8.3).
@Suite struct WebSocketFrameEncoderTests {
    @Test func headerLengths() {
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 0) == 2)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 125) == 2)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 126) == 4)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 65535) == 4)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 65536) == 10)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: 1 << 40) == 10)
    }

    @Test(arguments: [
        (0, "81 00"),
        (1, "81 01"),
        (125, "81 7d"),
        (126, "81 7e 00 7e"),
        (65535, "81 7e ff ff"),
        (65536, "81 7f 00 00 00 00 00 01 00 00"),
        (10_485_760, "81 7f 00 00 00 00 00 a0 00 00"),
    ])
    func textFrameBytes(length: Int, header: String) {
        let payload = patternPayload(length)
        let frame = WebSocketFrameEncoder.frame(opcode: .text, payload: payload)
        #expect(Array(frame.prefix(hex(header).count)) == hex(header))
        #expect(frame.count == hex(header).count + length)
        #expect(Array(frame.dropFirst(hex(header).count)) == payload)
    }

    /// Spec §10.2: sends "to-one" as `81 06 74 6f 2d 6f 6e 65`; kick with an empty body sends `81 00`.
    @Test func capturedGatewayFrames() {
        #expect(WebSocketFrameEncoder.frame(opcode: .text, payload: Array("to-one".utf8)) == hex("8106746f2d6f6e65"))
        #expect(WebSocketFrameEncoder.frame(opcode: .text, payload: []) == hex("81 00"))
        #expect(WebSocketFrameEncoder.frame(opcode: .binary, payload: [0xFF]) == hex("82 01 ff"))
    }

    @Test func writeHeaderWritesOnlyTheHeader() {
        var buffer = [UInt8](repeating: 0xAA, count: 16)
        var span = buffer.mutableSpan
        #expect(WebSocketFrameEncoder.writeHeader(opcode: .binary, payloadLength: 300, into: &span) == 4)
        #expect(WebSocketFrameEncoder.writeHeader(opcode: .binary, payloadLength: 70000, into: &span) == 10)
        _ = consume span
        #expect(buffer == hex("82 7f 00 00 00 00 00 01 11 70") + [UInt8](repeating: 0xAA, count: 6))
    }

    /// Spec §8.3 / §10.2: a client ping "pp" is answered with `8a 02 70 70`.
    @Test func pongEchoesThePingPayload() {
        let ping = decodeWebSocket([clientFrame(0x9, "pp")])
        #expect(ping.controls == [.init(opcode: .ping, payload: Array("pp".utf8))])
        let pong = WebSocketFrameEncoder.frame(opcode: .pong, payload: ping.controls.first?.payload ?? [])
        #expect(pong == hex("8a 02 70 70"))
    }

    @Test(arguments: [0, 125, 126, 65535, 65536])
    func serverFramesDecodeBack(length: Int) {
        var options = WebSocketDecoder.Options.rfc6455
        options.requireMasking = false
        let payload = patternPayload(length)
        let stream = decodeWebSocket([WebSocketFrameEncoder.frame(opcode: .binary, payload: payload)], options: options)
        #expect(stream.messages == [binary(payload)])
    }
}

/// The close handshake: which code answers a client's close frame (RFC 6455 §7.4, Autobahn 7.x).
@Suite struct WebSocketCloseTests {
    func replyCode(_ payload: [UInt8], strict: Bool = true) -> UInt16 {
        WebSocketClose.reply(toClosePayload: payload.span, strict: strict).code
    }

    @Test func emptyAndOneBytePayloads() {
        #expect(replyCode([]) == 1000)
        #expect(replyCode([0x03]) == 1002)
        #expect(replyCode([], strict: false) == 1000)
        #expect(replyCode([0x03], strict: false) == 1000)
    }

    /// Autobahn 7.7.x: codes a peer may send are echoed.
    @Test(arguments: [
        UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
    ])
    func validCodesAreEchoed(code: UInt16) {
        let payload = [UInt8(code >> 8), UInt8(code & 0xFF)]
        let reply = WebSocketClose.reply(toClosePayload: payload.span, strict: true)
        #expect(reply.code == code)
        #expect(reply.receivedCode == code)
        #expect(replyCode(payload + Array("bye".utf8)) == code)
        #expect(replyCode(payload, strict: false) == 1000)
    }

    /// Autobahn 7.9.x and 7.13.x: reserved, unassigned and out-of-range codes get 1002.
    @Test(arguments: [UInt16(0), 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
    func invalidCodesGetProtocolError(code: UInt16) {
        let payload = [UInt8(code >> 8), UInt8(code & 0xFF)]
        #expect(replyCode(payload) == 1002)
        #expect(WebSocketClose.reply(toClosePayload: payload.span, strict: true).receivedCode == code)
        #expect(replyCode(payload, strict: false) == 1000)
    }

    /// `problem(inClosePayload:)` names exactly the payloads the strict reply answers with a 1002 or 1007
    /// it did not receive: every 0–3-byte payload over a spread of codes, and reasons valid and not.
    @Test func problemsMatchTheStrictReplies() {
        var payloads: [[UInt8]] = [[], [0x00], [0x03], [0xFF]]
        // (1007 is left out: its reply to a bad reason is also 1007, so the reply alone cannot tell; it is below.)
        for code in [UInt16(0), 999, 1000, 1002, 1004, 1005, 1015, 2999, 3000, 4999, 5000, 65535] {
            let head = [UInt8(code >> 8), UInt8(code & 0xFF)]
            payloads += [head, head + Array("ok".utf8), head + [0xC0, 0xAF], head + [0xE2, 0x82]]
        }
        for payload in payloads {
            let problem = WebSocketClose.problem(inClosePayload: payload.span)
            let reply = WebSocketClose.reply(toClosePayload: payload.span, strict: true)
            #expect(
                problem?.closeCode == (reply.code == reply.receivedCode || payload.isEmpty ? nil : reply.code),
                "\(payload)")
        }
        #expect(WebSocketClose.problem(inClosePayload: [0x03].span)?.kind == .invalidFrame)
        #expect(
            WebSocketClose.problem(inClosePayload: [0x03, 0xED].span)?.reason
                == "close code 1005 may not be sent by a peer")
        #expect(WebSocketClose.problem(inClosePayload: [0x03, 0xE8, 0xC0].span)?.kind == .invalidUTF8)
        #expect(WebSocketClose.problem(inClosePayload: [0x03, 0xEF, 0xC0].span)?.kind == .invalidUTF8)
        #expect(WebSocketClose.problem(inClosePayload: [0x03, 0xEF, 0x61].span) == nil)
    }

    /// Autobahn 7.5.1: a reason that is not UTF-8 gets 1007.
    @Test func invalidReasonGets1007() {
        #expect(replyCode([0x03, 0xE8, 0xCE, 0xBA, 0xE1, 0xBD]) == 1007)
        #expect(replyCode([0x03, 0xE8, 0xCE, 0xBA, 0xE1, 0xBD], strict: false) == 1000)
        let reply = WebSocketClose.reply(toClosePayload: [0x03, 0xE9, 0x61].span, strict: true)
        #expect(reply.code == 1001 && reply.reasonRange == 2..<3)
    }

    @Test func closeFrames() {
        #expect(WebSocketClose.frame(code: 1000) == hex("88 02 03 e8"))
        #expect(WebSocketClose.normalClosureFrame == hex("88 02 03 e8"))
        #expect(WebSocketClose.frame(code: 1001, reason: "bye") == hex("88 05 03 e9 62 79 65"))
        // The reason is cut at a character boundary so the payload stays within 125 bytes.
        let long = WebSocketClose.frame(code: 1000, reason: String(repeating: "a", count: 122) + "é")
        #expect(long.count == 2 + 2 + 122)
        let exact = WebSocketClose.frame(code: 1000, reason: String(repeating: "a", count: 121) + "é")
        #expect(exact.count == 2 + 125 && exact[1] == 125)
    }
}
