import RingGateCodecs
import Testing

/// Text messages are validated as UTF-8 while they stream in (RFC 6455 §8.1), failing fast.
@Suite struct WebSocketUTF8Tests {
    /// Whether the decoder accepts `bytes` as a whole text message.
    func decoderAccepts(_ bytes: [UInt8]) -> Bool {
        decodeWebSocket([clientFrame(0x1, bytes)]).error == nil
    }

    func swiftAccepts(_ bytes: [UInt8]) -> Bool { String(validating: bytes, as: UTF8.self) != nil }

    @Test func agreesWithTheStandardLibraryOnEveryOneAndTwoByteSequence() {
        var mismatches: [[UInt8]] = []
        for first in 0...255 {
            let one = [UInt8(first)]
            if decoderAccepts(one) != swiftAccepts(one) { mismatches.append(one) }
            for second in 0...255 {
                let two = [UInt8(first), UInt8(second)]
                if decoderAccepts(two) != swiftAccepts(two) { mismatches.append(two) }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test(arguments: [UInt8(0xC2), 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF])
    func agreesWithTheStandardLibraryOnLongerSequences(lead: UInt8) {
        var mismatches: [[UInt8]] = []
        for second in 0x70...0xC5 {
            for third in [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0] {
                let three = [lead, UInt8(second), UInt8(third)]
                if decoderAccepts(three) != swiftAccepts(three) { mismatches.append(three) }
                for fourth in [0x80, 0xBF, 0xC0] {
                    let four = three + [UInt8(fourth)]
                    if decoderAccepts(four) != swiftAccepts(four) { mismatches.append(four) }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    /// Autobahn 6.2: "Hello-µ@ßöäüàá-UTF-8!!" split at every byte, whole or fragmented.
    @Test func validTextSplitAtEveryByteAndFragment() {
        let message = "κόσμε Hello-µ@ßöäüàá-UTF-8!! 𝄞"
        let bytes = Array(message.utf8)
        expectEveryChunking(clientFrame(0x1, bytes), messages: [text(message)])
        for cut in 1..<bytes.count {
            let wire = clientFrame(0x1, Array(bytes[..<cut]), fin: false) + clientFrame(0x0, Array(bytes[cut...]))
            #expect(decodeWebSocket([wire]).outcome.messages == [text(message)], "fragment split at \(cut)")
        }
    }

    @Test func characterSplitAroundAnInterleavedPing() {
        let bytes = Array("é".utf8)
        let wire = clientFrame(0x1, [bytes[0]], fin: false) + clientFrame(0x9, [0xFF]) + clientFrame(0x0, [bytes[1]])
        expectEveryChunking(wire, messages: [text("é")], controls: [.init(opcode: .ping, payload: [0xFF])])
    }

    @Test(arguments: [
        [UInt8(0xC0), 0x80],  // overlong NUL
        [0xE0, 0x80, 0xAF],  // overlong '/'
        [0xED, 0xA0, 0x80],  // surrogate U+D800
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xF8, 0x88, 0x80, 0x80, 0x80],  // 5-byte form
        [0xFE], [0xFF], [0x80],
        Array("ceb1".utf8) + [0xCE, 0x41],
    ])
    func invalidSequencesClose1007(bytes: [UInt8]) {
        expectEveryChunking(clientFrame(0x1, bytes), error: .invalidUTF8)
        expectEveryChunking(
            clientFrame(0x1, bytes), options: .workerman, messages: [.init(opcode: .text, payload: bytes)])
        expectEveryChunking(clientFrame(0x2, bytes), messages: [binary(bytes)])
    }

    @Test func messageEndingInsideACharacterCloses1007() {
        let truncated = Array(Array("€".utf8).prefix(2))
        expectEveryChunking(clientFrame(0x1, truncated), error: .invalidUTF8)
        // The same bytes are fine while the message continues.
        let stream = decodeWebSocket([clientFrame(0x1, truncated, fin: false)])
        #expect(stream.error == nil && stream.pendingMessageBytes == truncated)
    }

    /// Autobahn 6.4: the connection fails on the invalid byte, before the message (or frame) ends.
    @Test func failsFastWithinAFragmentedMessage() {
        let first = clientFrame(0x1, "κόσμε", fin: false)
        let second = clientFrame(0x0, [0xED, 0xA0, 0x80, 0x61], fin: false)  // invalid, message unfinished
        let stream = decodeWebSocket([first, second])
        #expect(stream.error.map { Failure($0.kind, $0.closeCode) } == .invalidUTF8)
        #expect(stream.pendingMessageBytes == Array("κόσμε".utf8))

        // Within one frame whose end has not arrived yet.
        let frame = clientFrame(0x1, Array("ab".utf8) + [0xC0, 0x80] + patternPayload(50).map { $0 & 0x7F })
        let partial = decodeWebSocket([Array(frame[..<10])])
        #expect(partial.error.map { Failure($0.kind, $0.closeCode) } == .invalidUTF8)
    }

    @Test func validatorStartsFreshForEachMessage() {
        let wire = clientFrame(0x1, [0xE2, 0x82], fin: false) + clientFrame(0x0, [0xAC]) + clientFrame(0x1, "a")
        expectEveryChunking(wire, messages: [text("€"), text("a")])
    }

    @Test func validationCanBeTurnedOff() {
        var options = WebSocketDecoder.Options.rfc6455
        options.validateUTF8 = false
        expectEveryChunking(
            clientFrame(0x1, [0xFF, 0xC0]), options: options, messages: [.init(opcode: .text, payload: [0xFF, 0xC0])])
    }
}
