import RingGateCodecs
import Testing

/// A fresh Text decoder behind the driver's calling convention.
private func textDecode(_ options: TextFraming = TextFraming()) -> FramingTestDriver.Decode {
    var decoder = TextDecoder()
    return { input, offset throws(ProtocolError) in try decoder.decode(&input, from: offset, options: options) }
}

/// What the gateway forwards: each complete message with its trailing "\r"/"\n" stripped.
private func trimmed(_ message: [UInt8]) -> [UInt8] {
    Array(message[..<TextDecoder.trimmedLength(of: message.span)])
}

/// One decode call on `wire` from `offset`, with a fresh or given decoder.
private func step(
    _ wire: [UInt8],
    from offset: Int = 0,
    decoder: inout TextDecoder,
    options: TextFraming = TextFraming()
) throws(ProtocolError) -> DecodeStep {
    var buffer = wire
    var input = buffer.mutableSpan
    return try decoder.decode(&input, from: offset, options: options)
}

@Suite("Text framing, workerman text:// (spec §8.1)")
struct FramingTextTests {
    @Test func linesInOneInputAreOneEventEach() throws {
        var decoder = TextDecoder()
        let wire = bytes("ab\ncd\n\n")
        #expect(
            try step(wire, from: 0, decoder: &decoder)
                == DecodeStep(.messageBytes(0..<2, isMessageEnd: true), nextOffset: 3))
        #expect(
            try step(wire, from: 3, decoder: &decoder)
                == DecodeStep(.messageBytes(3..<5, isMessageEnd: true), nextOffset: 6))
        #expect(
            try step(wire, from: 6, decoder: &decoder)
                == DecodeStep(.messageBytes(6..<6, isMessageEnd: true), nextOffset: 7))
        #expect(try step(wire, from: 7, decoder: &decoder) == DecodeStep(.needMoreInput, nextOffset: 7))
    }

    @Test func linesAcrossEveryChunking() {
        FramingTestDriver.expectEveryChunking(
            of: bytes("ab\ncd\n\n"),
            yields: DecodeOutcome(messages: [bytes("ab"), bytes("cd"), []]),
            makeDecode: { textDecode() }
        )
    }

    /// §8.1: `"c\r\r\n"` → `c`, `"\r\n"` → `""`; the decoder keeps the `"\r"`s, the caller trims.
    @Test func trailingCarriageReturnsAreTrimmedByTheCaller() {
        let wire = bytes("c\r\r\n\r\n\nplain\n")
        for chunking in FramingTestDriver.chunkings(of: wire) {
            let outcome = FramingTestDriver.run(chunking.chunks, decode: textDecode())
            #expect(outcome.messages == [bytes("c\r\r"), bytes("\r"), [], bytes("plain")], "\(chunking.label)")
            #expect(outcome.messages.map(trimmed) == [bytes("c"), [], [], bytes("plain")], "\(chunking.label)")
        }
    }

    @Test(arguments: [
        ("", 0), ("c", 1), ("c\r\r", 1), ("\r", 0), ("\r\n\r\n", 0), ("a\rb", 3), ("a\rb\r\n", 3), ("\nx", 2),
    ])
    func trimmedLengthStripsEveryTrailingCarriageReturnAndNewline(message: String, expected: Int) {
        let message = bytes(message)
        #expect(TextDecoder.trimmedLength(of: message.span) == expected)
    }

    /// §6: the Register speaks Text; its lines are JSON documents.
    @Test func registerLines() {
        let lines = [
            #"{"event":"gateway_connect", "address":"127.0.0.1:2900", "secret_key":""}"#,
            #"{"event":"ping"}"#,
            #"{"event":"broadcast_addresses","addresses":["127.0.0.1:2900"]}"#,
        ]
        let wire = lines.flatMap { bytes($0 + "\n") }
        let outcome = FramingTestDriver.run([wire], decode: textDecode())
        #expect(outcome == DecodeOutcome(messages: lines.map(bytes)))
        #expect(outcome.eventsPerItem == [1, 1, 1])
    }

    @Test func bytesAreNotInterpreted() {
        let wire: [UInt8] = [0xFF, 0x00, 0x0D, 0xC3, 0x28, 0x0A, 0x80, 0x0A]
        FramingTestDriver.expectEveryChunking(
            of: wire,
            yields: DecodeOutcome(messages: [[0xFF, 0x00, 0x0D, 0xC3, 0x28], [0x80]]),
            makeDecode: { textDecode() }
        )
    }

    @Test func unfinishedLineIsReportedAsItArrives() throws {
        var decoder = TextDecoder()
        #expect(
            try step(bytes("ab"), decoder: &decoder)
                == DecodeStep(.messageBytes(0..<2, isMessageEnd: false), nextOffset: 2))
        #expect(
            try step(bytes("c\nd"), decoder: &decoder)
                == DecodeStep(.messageBytes(0..<1, isMessageEnd: true), nextOffset: 2))
        #expect(
            try step(bytes("c\nd"), from: 2, decoder: &decoder)
                == DecodeStep(.messageBytes(2..<3, isMessageEnd: false), nextOffset: 3))
        FramingTestDriver.expectEveryChunking(
            of: bytes("abc\nde"),
            yields: DecodeOutcome(messages: [bytes("abc")], unfinished: bytes("de")),
            makeDecode: { textDecode() }
        )
    }

    @Test func emptyInputNeedsMore() throws {
        var decoder = TextDecoder()
        #expect(try step([], decoder: &decoder) == DecodeStep(.needMoreInput, nextOffset: 0))
        #expect(try step(bytes("x\n"), from: 2, decoder: &decoder) == DecodeStep(.needMoreInput, nextOffset: 2))
        #expect(decoder == TextDecoder())
    }

    // MARK: Limit

    /// With a limit of 8, a line of 7 bytes (8 with its "\n") passes; 8 or more bytes fail, without
    /// waiting for the "\n".
    @Test(arguments: [(6, true), (7, true), (8, false), (9, false)])
    func limitAtBelowAndAbove(lineLength: Int, passes: Bool) {
        let line = [UInt8](repeating: 0x61, count: lineLength)
        let wire = bytes("ok\n") + line + [0x0A] + bytes("next\n")
        let expected =
            passes
            ? DecodeOutcome(messages: [bytes("ok"), line, bytes("next")])
            : DecodeOutcome(messages: [bytes("ok")], error: .messageTooLarge)
        FramingTestDriver.expectEveryChunking(
            of: wire,
            yields: expected,
            makeDecode: { textDecode(TextFraming(maxMessageLength: 8)) }
        )
    }

    @Test func limitFailsAsSoonAsTheLineReachesItWithoutNewline() throws {
        let options = TextFraming(maxMessageLength: 8)
        var decoder = TextDecoder()
        #expect(
            try step(bytes("1234567"), decoder: &decoder, options: options)
                == DecodeStep(.messageBytes(0..<7, isMessageEnd: false), nextOffset: 7)
        )
        #expect(throws: ProtocolError.self) { try step(bytes("8"), decoder: &decoder, options: options) }
        do {
            var fresh = TextDecoder()
            _ = try step(bytes("12345678"), decoder: &fresh, options: options)
            Issue.record("expected messageTooLarge")
        } catch {
            #expect(error.kind == .messageTooLarge)
        }
    }

    @Test func limitRestartsAfterEachLine() {
        let line = [UInt8](repeating: 0x62, count: 7)
        let wire = Array([[UInt8]](repeating: line + [0x0A], count: 4).joined())
        FramingTestDriver.expectEveryChunking(
            of: wire,
            yields: DecodeOutcome(messages: Array(repeating: line, count: 4)),
            makeDecode: { textDecode(TextFraming(maxMessageLength: 8)) }
        )
    }

    /// §7.4 default: 10 485 760. A line of 10 485 759 bytes passes as one event; 10 485 760 fails.
    @Test func defaultLimit() throws {
        let limit = TextFraming().maxMessageLength
        #expect(limit == 10_485_760)
        var longest = [UInt8](repeating: 0x78, count: limit - 1)
        longest.append(0x0A)
        var decoder = TextDecoder()
        #expect(
            try step(longest, decoder: &decoder)
                == DecodeStep(.messageBytes(0..<(limit - 1), isMessageEnd: true), nextOffset: limit)
        )
        let chunks = stride(from: 0, to: longest.count, by: 65_536).map {
            Array(longest[$0..<min($0 + 65_536, longest.count)])
        }
        #expect(FramingTestDriver.run(chunks, decode: textDecode()).messages.map(\.count) == [limit - 1])

        var tooLong = [UInt8](repeating: 0x78, count: limit)
        tooLong.append(0x0A)
        #expect(FramingTestDriver.run([tooLong], decode: textDecode()) == DecodeOutcome(error: .messageTooLarge))
    }

    @Test(arguments: [0, -1, Int.min])
    func nonPositiveLimitRefusesEveryLineWithoutTrapping(limit: Int) {
        FramingTestDriver.expectEveryChunking(
            of: bytes("\n"),
            yields: DecodeOutcome(error: .messageTooLarge),
            makeDecode: { textDecode(TextFraming(maxMessageLength: limit)) }
        )
    }

    // MARK: Encoder

    @Test(arguments: [("hello", "hello\n"), ("", "\n"), ("hi\n", "hi\n\n"), ("a\r", "a\r\n")])
    func encoderAlwaysAppendsNewline(message: String, wire: String) {
        let message = bytes(message)
        #expect(TextEncoder.encode(message.span) == bytes(wire))
        #expect(TextEncoder.encodedLength(messageLength: message.count) == wire.utf8.count)
    }

    @Test func writeTrailer() {
        var buffer: [UInt8] = [0xEE, 0xEE]
        var output = buffer.mutableSpan
        #expect(TextEncoder.writeTrailer(into: &output) == 1)
        _ = consume output
        #expect(buffer == [0x0A, 0xEE])
    }

    @Test func encodedMessagesDecodeBack() {
        let messages = [bytes("one"), [], bytes("three\r")]
        let wire = Array(messages.map { TextEncoder.encode($0.span) }.joined())
        #expect(FramingTestDriver.run([wire], decode: textDecode()).messages == messages)
    }
}
