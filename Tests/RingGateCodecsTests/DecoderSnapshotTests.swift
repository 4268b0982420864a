import RingGateCodecs
import Testing

/// One event as a connection observes it: the bytes of its range (read after the call, so WebSocket
/// payload is seen unmasked), not the offsets, which differ between a restored and a straight decoder
/// only if restoring is wrong.
private enum ObservedEvent: Equatable {
    case message([UInt8], end: Bool)
    case control(WebSocketOpcode, [UInt8], end: Bool)
    case error(ProtocolError.Kind)
}

/// Decodes `wire` cut at `cut` into two inputs with `make()`'s decoder. With `restore`, the decoder
/// is replaced between the two inputs by the one its snapshot restores, and the restored decoder must
/// equal the original and give back the same snapshot bytes.
private func observe<Decoder: Equatable>(
    _ wire: [UInt8],
    cut: Int,
    make: () -> Decoder,
    snapshot: (Decoder) -> [UInt8],
    restore: (([UInt8]) -> Decoder?)?,
    step: (inout Decoder, inout MutableSpan<UInt8>, Int) throws(ProtocolError) -> DecodeStep,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [ObservedEvent] {
    var decoder = make()
    var events: [ObservedEvent] = []
    for (index, part) in [Array(wire[..<cut]), Array(wire[cut...])].enumerated() {
        if index == 1, let restore {
            let bytes = snapshot(decoder)
            guard let restored = restore(bytes) else {
                Issue.record("snapshot \(bytes) at \(cut) was refused", sourceLocation: sourceLocation)
                return events
            }
            #expect(restored == decoder, "restored decoder differs at \(cut)", sourceLocation: sourceLocation)
            #expect(snapshot(restored) == bytes, sourceLocation: sourceLocation)
            decoder = restored
        }
        var buffer = part
        var input = buffer.mutableSpan
        var offset = 0
        while true {
            let result: DecodeStep
            do {
                result = try step(&decoder, &input, offset)
            } catch {
                events.append(.error(error.kind))
                return events
            }
            switch result.event {
            case .needMoreInput: break
            case .messageBytes(let range, let end): events.append(.message(range.map { input[$0] }, end: end))
            case .controlBytes(let range, let opcode, let end):
                events.append(.control(opcode, range.map { input[$0] }, end: end))
            }
            if case .needMoreInput = result.event { break }
            offset = result.nextOffset
        }
    }
    return events
}

/// Expects that, at every cut of `wire`, a decoder carried over through its snapshot produces exactly
/// the events of one that was not; returns how many cuts left the decoder in a non-initial state (so the
/// snapshot carried something).
@discardableResult
private func expectSnapshotsContinue<Decoder: Equatable>(
    _ wire: [UInt8],
    make: () -> Decoder,
    snapshot: (Decoder) -> [UInt8],
    restore: @escaping ([UInt8]) -> Decoder?,
    step: (inout Decoder, inout MutableSpan<UInt8>, Int) throws(ProtocolError) -> DecodeStep,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Int {
    var nonInitialCuts = 0
    for cut in 0...wire.count {
        let straight = observe(wire, cut: cut, make: make, snapshot: snapshot, restore: nil, step: step)
        let carried = observe(
            wire, cut: cut, make: make, snapshot: snapshot, restore: restore, step: step,
            sourceLocation: sourceLocation)
        #expect(carried == straight, "cut at \(cut)", sourceLocation: sourceLocation)
        #expect(!straight.contains { if case .error = $0 { true } else { false } }, sourceLocation: sourceLocation)
        // Run the first part again on a decoder kept here, to learn whether it stopped in a non-initial state.
        var decoder = make()
        var buffer = Array(wire[..<cut])
        var input = buffer.mutableSpan
        var offset = 0
        while let result = try? step(&decoder, &input, offset), result.event != .needMoreInput {
            offset = result.nextOffset
        }
        if decoder != make() { nonInitialCuts += 1 }
    }
    return nonInitialCuts
}

@Suite("Decoder snapshots (live takeover)")
struct DecoderSnapshotTests {
    // MARK: Carried over at every split

    @Test(arguments: [false, true])
    func webSocketContinuesAfterEverySplit(workerman: Bool) {
        let options: WebSocketDecoder.Options = workerman ? .workerman : .rfc6455
        // A text message in three fragments with "é" and "€" cut between frames, a ping between them,
        // a binary frame with a 16-bit length, one with a 64-bit length, and an empty close.
        let euro = Array("€".utf8)
        let wire =
            clientFrame(0x1, Array("hé".utf8) + [euro[0]], fin: false)
            + clientFrame(0x9, Array("ping!".utf8))
            + clientFrame(0x0, Array(euro[1...]), fin: false)
            + clientFrame(0x0, Array("lo".utf8))
            + clientFrame(0x2, patternPayload(130))
            + clientFrame(0x2, patternPayload(9), length: .extended64)
            + clientFrame(0x8, [])
        let nonInitialCuts = expectSnapshotsContinue(
            wire,
            make: { WebSocketDecoder() },
            snapshot: { $0.snapshotBytes },
            restore: { WebSocketDecoder(snapshotBytes: $0.span) },
            step: { decoder, input, offset throws(ProtocolError) in
                try decoder.decode(&input, from: offset, options: options)
            })
        #expect(nonInitialCuts > wire.count / 2)
    }

    @Test func unmaskedWebSocketFramesContinueAfterEverySplit() {
        var options = WebSocketDecoder.Options.rfc6455
        options.requireMasking = false
        let wire =
            clientFrame(0x1, Array("日本".utf8), fin: false, mask: nil)
            + clientFrame(0x0, Array("語".utf8), mask: nil, length: .extended16)
        expectSnapshotsContinue(
            wire,
            make: { WebSocketDecoder() },
            snapshot: { $0.snapshotBytes },
            restore: { WebSocketDecoder(snapshotBytes: $0.span) },
            step: { decoder, input, offset throws(ProtocolError) in
                try decoder.decode(&input, from: offset, options: options)
            })
    }

    @Test(arguments: [false, true])
    func httpHeadContinuesAfterEverySplit(anyMethod: Bool) {
        let options = HTTPHeadDecoder.Options(acceptsAnyMethod: anyMethod)
        let method = anyMethod ? "OPTIONS" : "GET"
        let wire = bytes("\(method) /chat HTTP/1.1\r\nHost: a\r\n\r\n\(method) / HTTP/1.1\r\n\r")
        expectSnapshotsContinue(
            wire,
            make: { HTTPHeadDecoder() },
            snapshot: { $0.snapshotBytes },
            restore: { HTTPHeadDecoder(snapshotBytes: $0.span) },
            step: { decoder, input, offset throws(ProtocolError) in
                try decoder.decode(input.span, from: offset, options: options)
            })
    }

    @Test func textContinuesAfterEverySplit() {
        let options = TextFraming(maxMessageLength: 64)
        expectSnapshotsContinue(
            bytes("hello\nworld\r\n\nthe rest of a long line"),
            make: { TextDecoder() },
            snapshot: { $0.snapshotBytes },
            restore: { TextDecoder(snapshotBytes: $0.span) },
            step: { decoder, input, offset throws(ProtocolError) in
                try decoder.decode(&input, from: offset, options: options)
            })
    }

    @Test func lengthFieldContinuesAfterEverySplit() throws {
        let prefixed = try LengthFieldFraming(
            lengthFieldOffset: 2, lengthFieldWidth: .eight, endianness: .little, lengthAdjustment: 1,
            stripHeader: false)
        let cases: [(LengthFieldFraming, [UInt8])] = [
            (.workermanFrame, hex("00 00 00 09 61 62 63 64 65  00 00 00 04  00 00 00 06 7a 7a")),
            (prefixed, hex("ab cd 03 00 00 00 00 00 00 00 61 62 63 ff  ab cd 00 00 00 00 00 00 00 00 01")),
        ]
        for (options, wire) in cases {
            expectSnapshotsContinue(
                wire,
                make: { LengthFieldDecoder() },
                snapshot: { $0.snapshotBytes },
                restore: { bytes in
                    LengthFieldDecoder(snapshotBytes: bytes.span).flatMap { $0.isConsistent(with: options) ? $0 : nil }
                },
                step: { decoder, input, offset throws(ProtocolError) in
                    try decoder.decode(&input, from: offset, options: options)
                })
        }
    }

    @Test func rawContinuesAfterEverySplit() {
        let options = RawFraming(maxMessageLength: 4)
        expectSnapshotsContinue(
            bytes("raw bytes"),
            make: { RawDecoder() },
            snapshot: { $0.snapshotBytes },
            restore: { RawDecoder(snapshotBytes: $0.span) },
            step: { decoder, input, offset throws(ProtocolError) in
                try decoder.decode(&input, from: offset, options: options)
            })
    }

    // MARK: Layouts

    @Test func snapshotLayoutsAreFixedLittleEndian() throws {
        #expect(RawDecoder().snapshotBytes == [])
        #expect(TextDecoder().snapshotBytes == [UInt8](repeating: 0, count: 8))
        #expect(LengthFieldDecoder().snapshotBytes == [UInt8](repeating: 0, count: 10))
        #expect(HTTPHeadDecoder().snapshotBytes == [UInt8](repeating: 0, count: 10))
        #expect(WebSocketDecoder().snapshotBytes == [UInt8](repeating: 0, count: 20))

        var text = TextDecoder()
        var input = bytes("abc")
        var span = input.mutableSpan
        _ = try text.decode(&span, from: 0, options: TextFraming())
        #expect(text.snapshotBytes == hex("03 00 00 00 00 00 00 00"))

        // "GET /\r": 6 bytes, one terminator byte matched, method checked.
        var head = HTTPHeadDecoder()
        _ = try head.decode(bytes("GET /\r").span, from: 0, options: HTTPHeadDecoder.Options())
        #expect(head.snapshotBytes == hex("06 00 00 00 00 00 00 00  01 01"))

        // A masked text frame of 5 bytes, after its header and two payload bytes: 3 left, message 5,
        // key 37 fa 21 3d rotated by two, stage 16 (payload), FIN|masked|text, text in progress.
        var webSocket = WebSocketDecoder()
        var frame = Array(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58")[..<8])
        var frameSpan = frame.mutableSpan
        _ = try webSocket.decode(&frameSpan, from: 0, options: .rfc6455)
        #expect(webSocket.snapshotBytes == hex("03 00 00 00 00 00 00 00  05 00 00 00  fa 37 3d 21  10 91 05 00"))

        // workerman Frame after 5 bytes of `00 00 00 09 …`: body, 4 left.
        var length = LengthFieldDecoder()
        var framed = hex("00 00 00 09 61")
        var framedSpan = framed.mutableSpan
        _ = try length.decode(&framedSpan, from: 0, options: .workermanFrame)
        #expect(length.snapshotBytes == hex("01 04 00 00 00 00 00 00 00 00"))
    }

    // MARK: Rejections

    @Test func wrongSizesAreRefused() {
        #expect(RawDecoder(snapshotBytes: [0].span) == nil)
        for count in [0, 7, 9, 11, 19, 21] {
            let zeros = [UInt8](repeating: 0, count: count)
            #expect((TextDecoder(snapshotBytes: zeros.span) != nil) == (count == 8))
            #expect((LengthFieldDecoder(snapshotBytes: zeros.span) != nil) == (count == 10))
            #expect((HTTPHeadDecoder(snapshotBytes: zeros.span) != nil) == (count == 10))
            #expect((WebSocketDecoder(snapshotBytes: zeros.span) != nil) == (count == 20))
        }
    }

    @Test func impossibleTextStatesAreRefused() {
        #expect(TextDecoder(snapshotBytes: hex("ff ff ff ff ff ff ff ff").span) == nil)  // -1
        #expect(TextDecoder(snapshotBytes: hex("00 00 00 00 00 00 00 80").span) == nil)  // Int64.min
        // Over any limit: accepted, decode throws (next test).
        #expect(TextDecoder(snapshotBytes: hex("ff ff ff ff ff ff ff 7f").span) != nil)
    }

    @Test func restoredTextLineOverTheLimitFailsInsteadOfTrapping() throws {
        var decoder = try #require(restored(TextDecoder.self, "ff ff ff ff ff ff ff 7f"))
        var input = bytes("a\n")
        var span = input.mutableSpan
        #expect(throws: ProtocolError.self) { try decoder.decode(&span, from: 0, options: TextFraming()) }
    }

    @Test func impossibleLengthFieldStatesAreRefused() throws {
        let refused: [(String, String)] = [
            ("02 00 00 00 00 00 00 00 00 00", "unknown phase"),
            ("00 00 00 00 00 00 00 00 00 48", "header position 72, past the longest header"),
            ("00 00 01 00 00 00 00 00 00 01", "256 folded from one byte"),
            ("00 01 00 00 00 00 00 00 00 00", "a value before any byte"),
            ("01 00 00 00 00 00 00 00 00 00", "body with nothing left"),
            ("01 ff ff ff ff ff ff ff ff 00", "body rest beyond Int.max (negative as Int)"),
            ("01 05 00 00 00 00 00 00 00 01", "body with a header position"),
        ]
        for (vector, reason) in refused {
            #expect(LengthFieldDecoder(snapshotBytes: hex(vector).span) == nil, "\(reason)")
        }
        let lastHeaderByte = try #require(restored(LengthFieldDecoder.self, "00 00 00 00 00 00 00 00 00 47"))
        #expect(!lastHeaderByte.isConsistent(with: .workermanFrame))  // header is 4 bytes
        let threeBytes = try #require(restored(LengthFieldDecoder.self, "00 ff ff ff 00 00 00 00 00 03"))
        #expect(threeBytes.isConsistent(with: .workermanFrame))
        let prefixed = try LengthFieldFraming(lengthFieldOffset: 2, lengthFieldWidth: .two)
        #expect(!threeBytes.isConsistent(with: prefixed))  // only one length byte seen after the prefix
        let longBody = try #require(restored(LengthFieldDecoder.self, "01 fd ff a0 00 00 00 00 00 00"))
        #expect(!longBody.isConsistent(with: .workermanFrame))  // 10 485 757 left > 10 MiB − 4
        let fullBody = try #require(restored(LengthFieldDecoder.self, "01 fc ff 9f 00 00 00 00 00 00"))
        #expect(fullBody.isConsistent(with: .workermanFrame))
    }

    @Test func impossibleHTTPHeadStatesAreRefused() {
        let refused: [(String, String)] = [
            ("ff ff ff ff ff ff ff ff 00 00", "negative length"),
            ("05 00 00 00 00 00 00 00 04 01", "terminator complete (the decoder resets there)"),
            ("05 00 00 00 00 00 00 00 00 02", "method flag 2"),
            ("11 00 00 00 00 00 00 00 00 00", "17 method letters unchecked"),
            ("02 00 00 00 00 00 00 00 01 00", "CR inside an unchecked method"),
            ("01 00 00 00 00 00 00 00 00 01", "method checked after one byte"),
            ("03 00 00 00 00 00 00 00 02 01", "terminator reaching into the method"),
        ]
        for (vector, reason) in refused {
            #expect(HTTPHeadDecoder(snapshotBytes: hex(vector).span) == nil, "\(reason)")
        }
        #expect(HTTPHeadDecoder(snapshotBytes: hex("10 00 00 00 00 00 00 00 00 00").span) != nil)
        #expect(HTTPHeadDecoder(snapshotBytes: hex("05 00 00 00 00 00 00 00 03 01").span) != nil)
    }

    /// A head decoder restored from a snapshot taken under `acceptsAnyMethod` ("OPTIO" unchecked) and
    /// driven without it used to index past "GET" and trap; it now refuses the request.
    @Test func anyMethodSnapshotUnderGETOnlyFailsInsteadOfTrapping() throws {
        var decoder = try #require(restored(HTTPHeadDecoder.self, "05 00 00 00 00 00 00 00 00 00"))
        #expect(throws: ProtocolError.self) {
            try decoder.decode(bytes("NS / HTTP/1.1\r\n\r\n").span, from: 0, options: HTTPHeadDecoder.Options())
        }
    }

    @Test func impossibleWebSocketStatesAreRefused() {
        let refused: [(WebSocketState, String)] = [
            (WebSocketState(utf8: 12), "UTF-8 rejected (sticky error state)"),
            (WebSocketState(utf8: 13), "UTF-8 state off the table's rows"),
            (WebSocketState(utf8: 108), "UTF-8 state past the table"),
            (WebSocketState(stage: 17), "stage past payload"),
            (WebSocketState(frameBits: 0x20), "RSV bit kept"),
            (WebSocketState(frameBits: 0x03), "reserved opcode 3"),
            (WebSocketState(frameBits: 0x0B), "reserved opcode 0xB"),
            (WebSocketState(messageBits: 0x08), "unknown message bit"),
            (WebSocketState(messageBits: 0x03), "message opcode 3"),
            (WebSocketState(messageBits: 0x04), "message in progress without a type"),
            (WebSocketState(messageBits: 0x06, utf8: 24), "mid-character in a binary message"),
            (WebSocketState(messageBits: 0x01, utf8: 24), "mid-character after the message ended"),
            (WebSocketState(remaining: 1), "first byte with payload left"),
            (WebSocketState(frameBits: 0x81, messageBits: 0x05), "FIN text frame ended, message still open"),
            (WebSocketState(stage: 1, frameBits: 0x11, messageBits: 0x05), "second byte with the mask bit read"),
            (WebSocketState(stage: 1, frameBits: 0x01), "data frame outside a message"),
            (WebSocketState(stage: 2, frameBits: 0x89), "ping with an extended length"),
            (WebSocketState(remaining: 1, stage: 2, frameBits: 0x02, messageBits: 0x06), "length before its bytes"),
            (WebSocketState(remaining: 256, stage: 3, frameBits: 0x02, messageBits: 0x06), "two bytes from one"),
            (WebSocketState(remaining: 1 << 32, stage: 8, frameBits: 0x02, messageBits: 0x06), "five from four"),
            (
                WebSocketState(remaining: 5, messageLength: 5, stage: 12, frameBits: 0x02, messageBits: 0x06),
                "key unmasked"
            ),
            (
                WebSocketState(
                    remaining: 5, messageLength: 5, maskKey: 0x100, stage: 13, frameBits: 0x12, messageBits: 0x06),
                "two key bytes from one"
            ),
            (WebSocketState(stage: 16, frameBits: 0x92, messageBits: 0x06), "payload with nothing left"),
            (WebSocketState(remaining: 126, stage: 16, frameBits: 0x99), "ping payload over 125"),
            (
                WebSocketState(remaining: 6, messageLength: 5, stage: 16, frameBits: 0x12, messageBits: 0x06),
                "frame over message"
            ),
            (
                WebSocketState(
                    remaining: 5, messageLength: 5, maskKey: 1, stage: 16, frameBits: 0x02, messageBits: 0x06),
                "unmasked payload with a key"
            ),
        ]
        for (state, reason) in refused {
            #expect(WebSocketDecoder(snapshotBytes: state.bytes.span) == nil, "\(reason)")
        }
        let accepted: [(WebSocketState, String)] = [
            (WebSocketState(), "initial"),
            (WebSocketState(messageBits: 0x05, utf8: 84), "text message mid-character between frames"),
            (WebSocketState(remaining: 125, maskKey: 7, stage: 16, frameBits: 0x19), "masked ping payload"),
            (WebSocketState(remaining: 255, stage: 5, frameBits: 0x02, messageBits: 0x06), "64-bit length, one byte"),
            (
                WebSocketState(
                    remaining: 5, messageLength: 9, maskKey: 0xFF_FFFF, stage: 15, frameBits: 0x10, messageBits: 0x06),
                "continuation, three key bytes"
            ),
            (WebSocketState(frameBits: 0x09, messageBits: 0x06), "workerman: unfinished ping between fragments"),
        ]
        for (state, reason) in accepted {
            #expect(WebSocketDecoder(snapshotBytes: state.bytes.span) != nil, "\(reason)")
        }
    }
}

/// The decoder restored from the snapshot written in hex, if it is accepted.
private func restored<Decoder>(_ type: Decoder.Type, _ snapshot: String) -> Decoder? {
    let bytes = hex(snapshot)
    switch type {
    case is TextDecoder.Type: return TextDecoder(snapshotBytes: bytes.span) as? Decoder
    case is LengthFieldDecoder.Type: return LengthFieldDecoder(snapshotBytes: bytes.span) as? Decoder
    case is HTTPHeadDecoder.Type: return HTTPHeadDecoder(snapshotBytes: bytes.span) as? Decoder
    default: return WebSocketDecoder(snapshotBytes: bytes.span) as? Decoder
    }
}

/// The fields of a WebSocket decoder snapshot, to write rejection vectors by name.
private struct WebSocketState {
    var remaining: UInt64 = 0
    var messageLength: UInt32 = 0
    var maskKey: UInt32 = 0
    var stage: UInt8 = 0
    var frameBits: UInt8 = 0
    var messageBits: UInt8 = 0
    var utf8: UInt8 = 0

    var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: remaining >> (8 * UInt64($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: messageLength >> (8 * UInt32($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: maskKey >> (8 * UInt32($0))) }
            + [stage, frameBits, messageBits, utf8]
    }
}
