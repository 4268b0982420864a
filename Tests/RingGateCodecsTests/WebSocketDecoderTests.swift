import RingGateCodecs
import Testing

/// Decoding well-formed client frames: RFC 6455 examples, every length form, every chunking.
@Suite struct WebSocketDecoderTests {
    @Test func layoutIsSmall() {
        // UInt64, UInt32 ×2, 4 × UInt8: 20 bytes, so the connection record is 56.
        #expect(MemoryLayout<WebSocketDecoder>.size == 20)
    }

    /// RFC 6455 §5.7: "A single-frame masked text message".
    @Test func rfcMaskedHelloIsOneZeroCopyEvent() throws {
        var buffer = hex("81 85 37 fa 21 3d 7f 9f 4d 51 58")
        var span = buffer.mutableSpan
        var decoder = WebSocketDecoder()
        let step = try decoder.decode(&span, from: 0, options: .rfc6455)
        #expect(step == DecodeStep(.messageBytes(6..<11, isMessageEnd: true), nextOffset: 11))
        #expect(decoder.messageOpcode == .text)
        #expect(!decoder.isMessageInProgress)
        let end = try decoder.decode(&span, from: 11, options: .rfc6455)
        #expect(end == DecodeStep(.needMoreInput, nextOffset: 11))
        _ = consume span
        #expect(Array(buffer[6...]) == Array("Hello".utf8))  // unmasked in place
    }

    @Test func rfcMaskedHelloInEveryChunking() {
        expectEveryChunking(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), messages: [text("Hello")])
    }

    /// RFC 6455 §5.7's unmasked examples (server-to-client frames), decoded with masking optional.
    @Test func rfcUnmaskedExamples() {
        var options = WebSocketDecoder.Options.rfc6455
        options.requireMasking = false
        expectEveryChunking(hex("81 05 48 65 6c 6c 6f"), options: options, messages: [text("Hello")])
        expectEveryChunking(hex("01 03 48 65 6c 80 02 6c 6f"), options: options, messages: [text("Hello")])
        expectEveryChunking(
            hex("89 05 48 65 6c 6c 6f"),
            options: options,
            controls: [.init(opcode: .ping, payload: Array("Hello".utf8))]
        )
        expectEveryChunking(
            hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
            options: options,
            controls: [.init(opcode: .pong, payload: Array("Hello".utf8))]
        )
        let payload256 = patternPayload(256)
        expectEveryChunking(hex("82 7e 01 00") + payload256, options: options, messages: [binary(payload256)])
        let payload64K = patternPayload(65536)
        expectEveryChunking(
            hex("82 7f 00 00 00 00 00 01 00 00") + payload64K,
            options: options,
            messages: [binary(payload64K)]
        )
    }

    @Test(arguments: [0, 1, 3, 4, 5, 125, 126, 127, 65535, 65536])
    func payloadLengthForms(length: Int) {
        let payload = patternPayload(length)
        let wire = clientFrame(0x2, payload)
        let expectedHeader = length <= 125 ? 6 : length <= 0xFFFF ? 8 : 14
        #expect(wire.count == expectedHeader + length)
        expectEveryChunking(wire, messages: [binary(payload)])
        #expect(decodeWebSocket([wire]).messageEventCount == 1, "whole frame in one input is one event")
    }

    /// RFC 6455 §5.2 asks senders for the minimal length form; receivers accept longer ones.
    @Test func nonMinimalLengthFormsAreAccepted() {
        let payload = patternPayload(5)
        expectEveryChunking(clientFrame(0x2, payload, length: .extended16), messages: [binary(payload)])
        expectEveryChunking(clientFrame(0x2, payload, length: .extended64), messages: [binary(payload)])
    }

    @Test func maskPhaseContinuesAcrossSplits() {
        // Lengths that are not multiples of 4, split at odd offsets, exercise the rotated key.
        for length in [6, 7, 9, 13] {
            let payload = patternPayload(length)
            expectEveryChunking(clientFrame(0x2, payload, mask: [0x01, 0x80, 0xFE, 0x5A]), messages: [binary(payload)])
        }
    }

    @Test func manyFramesInOneInput() {
        let wire =
            clientFrame(0x1, "one") + clientFrame(0x2, [0, 1, 2]) + clientFrame(0x9, "ping")
            + clientFrame(0x1, "") + clientFrame(0x1, "frag", fin: false) + clientFrame(0xA, "pong")
            + clientFrame(0x0, "ment", fin: false) + clientFrame(0x0, "ed") + clientFrame(0x8, [0x03, 0xE8])
        expectEveryChunking(
            wire,
            messages: [text("one"), binary([0, 1, 2]), text(""), text("fragmented")],
            controls: [
                .init(opcode: .ping, payload: Array("ping".utf8)),
                .init(opcode: .pong, payload: Array("pong".utf8)),
                .init(opcode: .close, payload: [0x03, 0xE8]),
            ]
        )
        #expect(decodeWebSocket([wire]).messageEventCount == 6)
    }

    @Test func fragmentedBinaryWithInterleavedPing() throws {
        let wire =
            clientFrame(0x2, [1, 2], fin: false) + clientFrame(0x9, "pp") + clientFrame(0x0, [3], fin: false)
            + clientFrame(0xA, []) + clientFrame(0x0, [4, 5])
        expectEveryChunking(
            wire,
            messages: [binary([1, 2, 3, 4, 5])],
            controls: [.init(opcode: .ping, payload: Array("pp".utf8)), .init(opcode: .pong, payload: [])]
        )

        // Event by event: the ping does not end or disturb the message in progress.
        var buffer = wire
        var span = buffer.mutableSpan
        var decoder = WebSocketDecoder()
        var offset = 0
        var events: [DecodeEvent] = []
        while true {
            let step = try decoder.decode(&span, from: offset, options: .rfc6455)
            if step.event == .needMoreInput { break }
            events.append(step.event)
            #expect(decoder.messageOpcode == .binary)
            offset = step.nextOffset
        }
        #expect(
            events == [
                .messageBytes(6..<8, isMessageEnd: false),
                .controlBytes(14..<16, opcode: .ping, isFrameEnd: true),
                .messageBytes(22..<23, isMessageEnd: false),
                .controlBytes(29..<29, opcode: .pong, isFrameEnd: true),
                .messageBytes(35..<37, isMessageEnd: true),
            ]
        )
    }

    @Test func emptyFramesGiveEmptyEvents() throws {
        var buffer =
            clientFrame(0x1, "") + clientFrame(0x9, []) + clientFrame(0x2, [], fin: false) + clientFrame(0x0, [])
        var span = buffer.mutableSpan
        var decoder = WebSocketDecoder()
        var steps: [DecodeStep] = []
        var offset = 0
        repeat {
            steps.append(try decoder.decode(&span, from: offset, options: .rfc6455))
            offset = steps[steps.count - 1].nextOffset
        } while steps[steps.count - 1].event != .needMoreInput
        #expect(
            steps == [
                DecodeStep(.messageBytes(6..<6, isMessageEnd: true), nextOffset: 6),
                DecodeStep(.controlBytes(12..<12, opcode: .ping, isFrameEnd: true), nextOffset: 12),
                DecodeStep(.messageBytes(18..<18, isMessageEnd: false), nextOffset: 18),
                DecodeStep(.messageBytes(24..<24, isMessageEnd: true), nextOffset: 24),
                DecodeStep(.needMoreInput, nextOffset: 24),
            ]
        )
        #expect(decoder.messageOpcode == .binary)
    }

    @Test func partialPayloadArrivesAsPieces() throws {
        let wire = clientFrame(0x1, "Hello, world")
        var decoder = WebSocketDecoder()
        var first = Array(wire[..<10])  // header (6) + "Hell"
        var second = Array(wire[10...])
        var firstSpan = first.mutableSpan
        #expect(
            try decoder.decode(&firstSpan, from: 0, options: .rfc6455)
                == DecodeStep(.messageBytes(6..<10, isMessageEnd: false), nextOffset: 10))
        #expect(decoder.isMessageInProgress)
        #expect(
            try decoder.decode(&firstSpan, from: 10, options: .rfc6455) == DecodeStep(.needMoreInput, nextOffset: 10))
        var secondSpan = second.mutableSpan
        #expect(
            try decoder.decode(&secondSpan, from: 0, options: .rfc6455)
                == DecodeStep(.messageBytes(0..<8, isMessageEnd: true), nextOffset: 8))
        _ = consume firstSpan
        _ = consume secondSpan
        #expect(first[6...] + second == ArraySlice("Hello, world".utf8))
    }

    @Test func headerSplitAcrossInputsConsumesEverything() throws {
        let wire = clientFrame(0x2, patternPayload(300))  // 8-byte header
        var decoder = WebSocketDecoder()
        for cut in 1..<8 {
            decoder = WebSocketDecoder()
            var head = Array(wire[..<cut])
            var span = head.mutableSpan
            #expect(
                try decoder.decode(&span, from: 0, options: .rfc6455) == DecodeStep(.needMoreInput, nextOffset: cut))
        }
    }

    @Test func decodingFromAnOffsetSkipsEarlierBytes() throws {
        var buffer: [UInt8] = [0xEE, 0xEE, 0xEE] + clientFrame(0x1, "hi")
        var span = buffer.mutableSpan
        var decoder = WebSocketDecoder()
        #expect(
            try decoder.decode(&span, from: 3, options: .rfc6455)
                == DecodeStep(.messageBytes(9..<11, isMessageEnd: true), nextOffset: 11))
    }

    @Test func controlPayloadSplitAcrossInputs() {
        let close = clientFrame(0x8, [0x03, 0xE8] + Array("going away".utf8))
        expectEveryChunking(close, controls: [.init(opcode: .close, payload: [0x03, 0xE8] + Array("going away".utf8))])
        let pieces = decodeWebSocket([Array(close[..<9]), Array(close[9...])])
        #expect(pieces.controls.count == 1)
    }

    @Test func messageOpcodeFollowsEachMessage() {
        var options = WebSocketDecoder.Options.rfc6455
        options.requireMasking = false
        let stream = decodeWebSocket(
            [hex("82 01 ff"), hex("81 01 41"), hex("02 01 00 80 01 01")],
            options: options
        )
        #expect(stream.messages == [binary([0xFF]), text("A"), binary([0, 1])])
        #expect(WebSocketDecoder().messageOpcode == nil)
    }
}
