import RingGateCodecs
import Testing

/// A fresh raw decoder behind the driver's calling convention.
private func rawDecode(_ options: RawFraming = RawFraming()) -> FramingTestDriver.Decode {
    var decoder = RawDecoder()
    return { input, offset throws(ProtocolError) in try decoder.decode(&input, from: offset, options: options) }
}

@Suite("Raw TCP framing, tcp:// (spec §8.4)")
struct FramingRawTests {
    @Test func everyInputIsOneMessage() throws {
        var decoder = RawDecoder()
        var buffer = Array("abc".utf8)
        var input = buffer.mutableSpan
        #expect(
            try decoder.decode(&input, from: 0, options: RawFraming())
                == DecodeStep(.messageBytes(0..<3, isMessageEnd: true), nextOffset: 3))
        #expect(
            try decoder.decode(&input, from: 1, options: RawFraming())
                == DecodeStep(.messageBytes(1..<3, isMessageEnd: true), nextOffset: 3))
        #expect(try decoder.decode(&input, from: 3, options: RawFraming()) == DecodeStep(.needMoreInput, nextOffset: 3))
    }

    @Test func chunksBecomeMessagesUnchanged() {
        let chunks: [[UInt8]] = [[0x0A], [0x00, 0xFF, 0x0D], [], [0x41]]
        let outcome = FramingTestDriver.run(chunks, decode: rawDecode())
        #expect(outcome == DecodeOutcome(messages: [[0x0A], [0x00, 0xFF, 0x0D], [0x41]]))
    }

    /// §8.4: RingGate caps each ON_MESSAGE at 64 KiB; larger inputs are cut, at, below and above the cap.
    @Test(arguments: [
        (65_535, [65_535]), (65_536, [65_536]), (65_537, [65_536, 1]), (140_000, [65_536, 65_536, 8_928]),
    ])
    func capAtBelowAndAbove(inputLength: Int, messageLengths: [Int]) {
        let outcome = FramingTestDriver.run([[UInt8](repeating: 0x61, count: inputLength)], decode: rawDecode())
        #expect(outcome.messages.map(\.count) == messageLengths)
        #expect(RawFraming().maxMessageLength == 65_536)
    }

    @Test(arguments: [0, -5])
    func nonPositiveCapStillProgresses(cap: Int) {
        let outcome = FramingTestDriver.run([[1, 2]], decode: rawDecode(RawFraming(maxMessageLength: cap)))
        #expect(outcome.messages == [[1], [2]])
    }
}
