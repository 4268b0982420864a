import RingGateCodecs
import Testing

/// Frames a strict decoder refuses, with their close codes, and what the workerman preset accepts.
@Suite struct WebSocketDecoderErrorTests {
    @Test(arguments: [UInt8(1), 2, 4, 7])
    func rsvBitsFailStrictOnly(rsv: UInt8) {
        let wire = clientFrame(0x1, Array("x".utf8), rsv: rsv)
        expectEveryChunking(wire, error: .invalidFrame)
        expectEveryChunking(wire, options: .workerman, messages: [text("x")])
    }

    @Test(arguments: [UInt8(3), 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func reservedOpcodesFailInEveryMode(opcode: UInt8) {
        let wire = clientFrame(opcode, [0x61])
        expectEveryChunking(wire, error: .invalidFrame)
        expectEveryChunking(wire, options: .workerman, error: .invalidFrame)
        // Fail fast: the first byte alone is enough.
        #expect(decodeWebSocket([[wire[0]]]).error?.closeCode == 1002)
    }

    @Test(arguments: [UInt8(0x8), 0x9, 0xA])
    func fragmentedControlFrames(opcode: UInt8) {
        let wire = clientFrame(opcode, [0x03, 0xE8], fin: false)
        expectEveryChunking(wire, error: .invalidFrame)
        let opcodeValue = WebSocketOpcode(rawValue: opcode) ?? .close
        expectEveryChunking(wire, options: .workerman, controls: [.init(opcode: opcodeValue, payload: [0x03, 0xE8])])
    }

    @Test(arguments: [UInt8(0x8), 0x9, 0xA])
    func controlPayloadLimit(opcode: UInt8) {
        let opcodeValue = WebSocketOpcode(rawValue: opcode) ?? .close
        let atLimit = patternPayload(125)
        expectEveryChunking(clientFrame(opcode, atLimit), controls: [.init(opcode: opcodeValue, payload: atLimit)])
        let overLimit = clientFrame(opcode, patternPayload(126))
        expectEveryChunking(overLimit, error: .invalidFrame)
        expectEveryChunking(overLimit, options: .workerman, error: .invalidFrame)
        // Even a short payload in the 16-bit form is refused: the second byte says 126.
        expectEveryChunking(clientFrame(opcode, [1], length: .extended16), error: .invalidFrame)
    }

    @Test func continuationWithoutMessage() {
        let wire = clientFrame(0x0, "orphan")
        expectEveryChunking(wire, error: .invalidFrame)
        expectEveryChunking(wire, options: .workerman, messages: [binary(Array("orphan".utf8))])
        // Also after a completed message.
        expectEveryChunking(clientFrame(0x1, "a") + wire, messages: [text("a")], error: .invalidFrame)
    }

    @Test(arguments: [UInt8(0x1), 0x2])
    func newMessageInsideFragmentedMessage(opcode: UInt8) {
        let wire = clientFrame(0x1, "frag", fin: false) + clientFrame(opcode, "new") + clientFrame(0x0, "end")
        expectEveryChunking(wire, error: .invalidFrame)
        // Workerman concatenates every data frame until FIN; the first frame's type is kept, and a
        // stray continuation starts a new (binary) message.
        expectEveryChunking(wire, options: .workerman, messages: [text("fragnew"), binary(Array("end".utf8))])
    }

    @Test func sixtyFourBitLengthWithTopBitSet() {
        let wire = hex("82 ff 80 00 00 00 00 00 00 00") + rfcMask
        expectEveryChunking(wire, error: .invalidFrame)
        expectEveryChunking(wire, options: .workerman, error: .tooLarge)
        // Fail fast on the first length byte.
        #expect(decodeWebSocket([Array(wire[..<3])]).error.map { Failure($0.kind, $0.closeCode) } == .invalidFrame)
        // The largest length without the top bit is merely too large.
        expectEveryChunking(hex("82 ff 7f ff ff ff ff ff ff ff") + rfcMask, error: .tooLarge)
    }

    /// The running message length is 32 bits in the connection record: however high the configured
    /// limit, a message announcing 4 GiB or more (here across two frames) is too large.
    @Test func messagesAreCappedBelow4GiBWhateverTheLimit() {
        var options = WebSocketDecoder.Options.rfc6455
        options.maxMessageLength = Int.max
        expectEveryChunking(hex("82 ff 00 00 00 01 00 00 00 00") + rfcMask, options: options, error: .tooLarge)
        // Just below the cap is accepted: a first fragment announcing 0xFFFF_FFF0 bytes starts a message.
        let first = hex("02 ff 00 00 00 00 ff ff ff f0") + rfcMask
        var decoder = WebSocketDecoder()
        var bytes = first
        var span = bytes.mutableSpan
        #expect((try? decoder.decode(&span, from: 0, options: options)) != nil)
        _ = consume span
        #expect(decoder.isMessageInProgress)
    }

    @Test func unmaskedFrames() {
        let wire = clientFrame(0x1, Array("x".utf8), mask: nil)
        expectEveryChunking(wire, error: .unmasked)
        expectEveryChunking(wire, options: .workerman, error: .unmasked)
        var options = WebSocketDecoder.Options.rfc6455
        options.requireMasking = false
        expectEveryChunking(wire, options: options, messages: [text("x")])
        // A masked frame after an unmasked one, when masking is optional.
        expectEveryChunking(wire + clientFrame(0x1, "y"), options: options, messages: [text("x"), text("y")])
    }

    @Test func errorStopsBeforeLaterFrames() {
        let wire = clientFrame(0x1, "ok") + clientFrame(0x3, []) + clientFrame(0x1, "never")
        expectEveryChunking(wire, messages: [text("ok")], error: .invalidFrame)
    }
}

/// `maxMessageLength`: at, below and above; single frames and fragments; header-counting mode.
@Suite struct WebSocketMessageLimitTests {
    func options(max: Int) -> WebSocketDecoder.Options {
        var options = WebSocketDecoder.Options.rfc6455
        options.maxMessageLength = max
        return options
    }

    @Test func singleFrameAtBelowAndAboveLimit() {
        let limit = options(max: 10)
        expectEveryChunking(clientFrame(0x2, patternPayload(9)), options: limit, messages: [binary(patternPayload(9))])
        expectEveryChunking(
            clientFrame(0x2, patternPayload(10)), options: limit, messages: [binary(patternPayload(10))])
        expectEveryChunking(clientFrame(0x2, patternPayload(11)), options: limit, error: .tooLarge)
    }

    @Test func fragmentsCountTogether() {
        let limit = options(max: 10)
        let atLimit = clientFrame(0x2, patternPayload(5), fin: false) + clientFrame(0x0, patternPayload(5))
        expectEveryChunking(atLimit, options: limit, messages: [binary(patternPayload(5) + patternPayload(5))])
        let overLimit = clientFrame(0x2, patternPayload(5), fin: false) + clientFrame(0x0, patternPayload(6))
        expectEveryChunking(overLimit, options: limit, error: .tooLarge)
        // The count starts again with each message.
        expectEveryChunking(
            clientFrame(0x2, patternPayload(10)) + clientFrame(0x2, patternPayload(10)),
            options: limit,
            messages: [binary(patternPayload(10)), binary(patternPayload(10))]
        )
    }

    @Test func controlFramesDoNotCount() {
        let limit = options(max: 4)
        let wire =
            clientFrame(0x2, [1, 2], fin: false) + clientFrame(0x9, patternPayload(100)) + clientFrame(0x0, [3, 4])
        expectEveryChunking(
            wire,
            options: limit,
            messages: [binary([1, 2, 3, 4])],
            controls: [.init(opcode: .ping, payload: patternPayload(100))]
        )
    }

    /// The default limit fails as soon as the header announces 10 485 761 bytes, before any payload.
    @Test func defaultLimitFailsOnTheHeader() {
        let over = hex("82 ff 00 00 00 00 00 a0 00 01") + rfcMask
        #expect(decodeWebSocket([over]).error.map { Failure($0.kind, $0.closeCode) } == .tooLarge)
        #expect(decodeWebSocket([Array(over[..<10])]).error != nil, "fails before the mask key")
        let atLimit = hex("82 ff 00 00 00 00 00 a0 00 00") + rfcMask
        let stream = decodeWebSocket([atLimit + patternPayload(100)])
        #expect(stream.error == nil)
        #expect(stream.pendingMessageBytes.count == 100)
    }

    /// Workerman closes when buffered payload + this frame's header + payload > maxPackageSize.
    @Test func workermanCountsHeaders() {
        var limit = WebSocketDecoder.Options.workerman
        limit.maxMessageLength = 16
        expectEveryChunking(
            clientFrame(0x2, patternPayload(10)), options: limit, messages: [binary(patternPayload(10))])
        expectEveryChunking(clientFrame(0x2, patternPayload(11)), options: limit, error: .tooLarge)
        // Fragments: 4 buffered + (6 + 6) = 16 passes; 4 + (6 + 7) does not.
        expectEveryChunking(
            clientFrame(0x2, patternPayload(4), fin: false) + clientFrame(0x0, patternPayload(6)),
            options: limit,
            messages: [binary(patternPayload(4) + patternPayload(6))]
        )
        expectEveryChunking(
            clientFrame(0x2, patternPayload(4), fin: false) + clientFrame(0x0, patternPayload(7)),
            options: limit,
            error: .tooLarge
        )
        // 16-bit form: header 8.
        limit.maxMessageLength = 134
        expectEveryChunking(
            clientFrame(0x2, patternPayload(126)), options: limit, messages: [binary(patternPayload(126))])
        limit.maxMessageLength = 133
        expectEveryChunking(clientFrame(0x2, patternPayload(126)), options: limit, error: .tooLarge)
        // 64-bit form: header 14.
        limit.maxMessageLength = 19
        expectEveryChunking(
            clientFrame(0x2, patternPayload(5), length: .extended64), options: limit,
            messages: [binary(patternPayload(5))])
        limit.maxMessageLength = 18
        expectEveryChunking(clientFrame(0x2, patternPayload(5), length: .extended64), options: limit, error: .tooLarge)
    }

    @Test func zeroAndNegativeLimits() {
        expectEveryChunking(clientFrame(0x1, ""), options: options(max: 0), messages: [text("")])
        expectEveryChunking(clientFrame(0x1, "a"), options: options(max: 0), error: .tooLarge)
        expectEveryChunking(clientFrame(0x1, ""), options: options(max: -1), messages: [text("")])
        expectEveryChunking(clientFrame(0x1, "a"), options: options(max: -1), error: .tooLarge)
    }
}
