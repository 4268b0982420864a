import RingGateCodecs
import Testing

/// A fresh length-field decoder behind the driver's calling convention.
private func lengthDecode(_ options: LengthFieldFraming) -> FramingTestDriver.Decode {
    var decoder = LengthFieldDecoder()
    return { input, offset throws(ProtocolError) in try decoder.decode(&input, from: offset, options: options) }
}

/// One decode call on `wire` from `offset`.
private func step(
    _ wire: [UInt8],
    from offset: Int = 0,
    decoder: inout LengthFieldDecoder,
    options: LengthFieldFraming
) throws(ProtocolError) -> DecodeStep {
    var buffer = wire
    var input = buffer.mutableSpan
    return try decoder.decode(&input, from: offset, options: options)
}

/// `value` as `width` bytes in the given order.
private func field(_ value: UInt64, width: Int, _ endianness: LengthFieldFraming.Endianness) -> [UInt8] {
    let bigEndian = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(width - 1 - $0))) }
    return endianness == .big ? bigEndian : bigEndian.reversed()
}

@Suite("Length-field framing")
struct FramingLengthFieldTests {
    // MARK: workerman Frame (§8.2)

    /// §8.2: payload "hello" ↔ `00 00 00 09 68 65 6c 6c 6f`.
    @Test func workermanFrameHello() throws {
        let wire = hex("00 00 00 09 68 65 6c 6c 6f")
        var decoder = LengthFieldDecoder()
        #expect(
            try step(wire, decoder: &decoder, options: .workermanFrame)
                == DecodeStep(.messageBytes(4..<9, isMessageEnd: true), nextOffset: 9)
        )
        FramingTestDriver.expectEveryChunking(
            of: wire,
            yields: DecodeOutcome(messages: [bytes("hello")]),
            makeDecode: { lengthDecode(.workermanFrame) }
        )
    }

    /// §8.2: total_length 4 is an empty message, reported as an empty range.
    @Test func workermanFrameEmptyMessage() throws {
        var decoder = LengthFieldDecoder()
        #expect(
            try step(hex("00 00 00 04"), decoder: &decoder, options: .workermanFrame)
                == DecodeStep(.messageBytes(4..<4, isMessageEnd: true), nextOffset: 4)
        )
        FramingTestDriver.expectEveryChunking(
            of: hex("00 00 00 04 00 00 00 05 21 00 00 00 04"),
            yields: DecodeOutcome(messages: [[], bytes("!"), []]),
            makeDecode: { lengthDecode(.workermanFrame) }
        )
    }

    /// §8.2: total_length 0...3 can not hold its own header; PHP stalls or desynchronises, RingGate closes.
    @Test(arguments: 0...3)
    func workermanFrameBelowHeaderIsInvalid(totalLength: UInt64) {
        FramingTestDriver.expectEveryChunking(
            of: hex("00 00 00 05 41") + field(totalLength, width: 4, .big) + hex("42 43 44 45"),
            yields: DecodeOutcome(messages: [bytes("A")], error: .invalidLength),
            makeDecode: { lengthDecode(.workermanFrame) }
        )
    }

    /// §8.2 / §7.4: total_length 10 485 760 passes, 10 485 761 is refused as soon as the header is read.
    @Test func workermanFrameLimit() throws {
        let limit = 10_485_760
        var largest = field(UInt64(limit), width: 4, .big)
        largest += [UInt8](repeating: 0x7A, count: limit - 4)
        var decoder = LengthFieldDecoder()
        #expect(
            try step(largest, decoder: &decoder, options: .workermanFrame)
                == DecodeStep(.messageBytes(4..<limit, isMessageEnd: true), nextOffset: limit)
        )
        for value in [UInt64(limit + 1), 0xFFFF_FFFF] {
            FramingTestDriver.expectEveryChunking(
                of: field(value, width: 4, .big),
                yields: DecodeOutcome(error: .messageTooLarge),
                makeDecode: { lengthDecode(.workermanFrame) }
            )
        }
    }

    @Test func workermanFrameEncoder() throws {
        #expect(
            try LengthFieldEncoder.encode(bytes("hello").span, options: .workermanFrame)
                == hex("00 00 00 09 68 65 6c 6c 6f"))
        #expect(try LengthFieldEncoder.encode([UInt8]().span, options: .workermanFrame) == hex("00 00 00 04"))
        #expect(LengthFieldEncoder.headerLength(payloadLength: 5, options: .workermanFrame) == 4)
    }

    @Test func workermanFramePreset() {
        let frame = LengthFieldFraming.workermanFrame
        #expect(frame.lengthFieldOffset == 0)
        #expect(frame.lengthFieldWidth == .four)
        #expect(frame.endianness == .big)
        #expect(frame.lengthAdjustment == -4)
        #expect(frame.stripHeader)
        #expect(frame.maxFrameLength == 10_485_760)
        #expect(frame.headerLength == 4)
    }

    // MARK: Custom protocols as configuration

    /// A 4-byte type, then a 4-byte big-endian payload length; workers see whole frames.
    @Test func typeLengthHeaderKept() throws {
        let typeLength = try LengthFieldFraming(lengthFieldOffset: 4, lengthFieldWidth: .four, stripHeader: false)
        let first = hex("00 00 00 07 00 00 00 03") + bytes("abc")
        let second = hex("00 00 00 08 00 00 00 00")
        var decoder = LengthFieldDecoder()
        #expect(
            try step(first, decoder: &decoder, options: typeLength)
                == DecodeStep(.messageBytes(0..<11, isMessageEnd: true), nextOffset: 11)
        )
        FramingTestDriver.expectEveryChunking(
            of: first + second,
            yields: DecodeOutcome(messages: [first, second]),
            makeDecode: { lengthDecode(typeLength) }
        )
        #expect(LengthFieldEncoder.headerLength(payloadLength: 11, options: typeLength) == 0)
    }

    /// A kept header split across inputs is reported piece by piece: nothing has to be stored.
    @Test func keptHeaderPiecesArriveAsTheyCome() throws {
        let typeLength = try LengthFieldFraming(lengthFieldOffset: 4, lengthFieldWidth: .four, stripHeader: false)
        var decoder = LengthFieldDecoder()
        #expect(
            try step(hex("00 00 00"), decoder: &decoder, options: typeLength)
                == DecodeStep(.messageBytes(0..<3, isMessageEnd: false), nextOffset: 3)
        )
        #expect(
            try step(hex("07 00 00 00 02 61"), decoder: &decoder, options: typeLength)
                == DecodeStep(.messageBytes(0..<6, isMessageEnd: false), nextOffset: 6)
        )
        #expect(
            try step(hex("62 ff"), decoder: &decoder, options: typeLength)
                == DecodeStep(.messageBytes(0..<1, isMessageEnd: true), nextOffset: 1)
        )
    }

    /// A stripped header split across inputs produces no event until its payload starts.
    @Test func strippedHeaderWaitsSilently() throws {
        var decoder = LengthFieldDecoder()
        let options = LengthFieldFraming.workermanFrame
        #expect(
            try step(hex("00 00"), decoder: &decoder, options: options) == DecodeStep(.needMoreInput, nextOffset: 2))
        #expect(
            try step(hex("00 07"), decoder: &decoder, options: options) == DecodeStep(.needMoreInput, nextOffset: 2))
        #expect(
            try step(hex("61 62"), decoder: &decoder, options: options)
                == DecodeStep(.messageBytes(0..<2, isMessageEnd: false), nextOffset: 2)
        )
        #expect(
            try step(hex("63 00"), decoder: &decoder, options: options)
                == DecodeStep(.messageBytes(0..<1, isMessageEnd: true), nextOffset: 1)
        )
        #expect(
            try step(hex("63 00"), from: 1, decoder: &decoder, options: options)
                == DecodeStep(.needMoreInput, nextOffset: 2)
        )
    }

    /// §10.1 V03: the body is an application frame, `ff fe 00 00` then a u32 BE length of the whole
    /// frame (0x23 = 35). As a custom `tcp://` framing it is configuration only.
    @Test func seedV03ApplicationFrame() throws {
        let v03 = hex("fffe000000000023000000000000000100010101ab564ace4d51b232d051029226b500")
        let framing = try LengthFieldFraming(
            lengthFieldOffset: 4,
            lengthFieldWidth: .four,
            lengthAdjustment: -8,
            stripHeader: false
        )
        FramingTestDriver.expectEveryChunking(
            of: v03 + v03,
            yields: DecodeOutcome(messages: [v03, v03]),
            makeDecode: { lengthDecode(framing) }
        )
    }

    // MARK: Widths, endianness, offsets, adjustments

    @Test(arguments: LengthFieldFraming.FieldWidth.allCases, [LengthFieldFraming.Endianness.big, .little])
    func widthsAndEndianness(width: LengthFieldFraming.FieldWidth, endianness: LengthFieldFraming.Endianness) throws {
        let payloads = [bytes("x"), [], bytes("yz")]
        for stripHeader in [true, false] {
            let framing = try LengthFieldFraming(
                lengthFieldWidth: width, endianness: endianness, stripHeader: stripHeader)
            let frames = payloads.map { field(UInt64($0.count), width: width.rawValue, endianness) + $0 }
            FramingTestDriver.expectEveryChunking(
                of: Array(frames.joined()),
                yields: DecodeOutcome(messages: stripHeader ? payloads : frames),
                makeDecode: { lengthDecode(framing) }
            )
        }
    }

    /// The bytes of a two-byte field are not symmetric, so the byte order is really applied.
    @Test func endiannessIsApplied() {
        let payload = [UInt8](repeating: 0x55, count: 0x0102)
        for (endianness, header) in [(LengthFieldFraming.Endianness.big, hex("01 02")), (.little, hex("02 01"))] {
            let framing = try! LengthFieldFraming(lengthFieldWidth: .two, endianness: endianness)
            let outcome = FramingTestDriver.run([header + payload], decode: lengthDecode(framing))
            #expect(outcome == DecodeOutcome(messages: [payload]), "\(endianness)")
        }
    }

    /// Netty's example: a 2-byte magic, a 2-byte length of the whole frame, so `adjustment = -4`.
    @Test(arguments: [true, false])
    func negativeAdjustmentWithPrefix(stripHeader: Bool) throws {
        let framing = try LengthFieldFraming(
            lengthFieldOffset: 2,
            lengthFieldWidth: .two,
            lengthAdjustment: -4,
            stripHeader: stripHeader
        )
        let frame = hex("ca fe 00 07") + bytes("abc")
        let empty = hex("ca fe 00 04")
        FramingTestDriver.expectEveryChunking(
            of: frame + empty + frame,
            yields: DecodeOutcome(messages: stripHeader ? [bytes("abc"), [], bytes("abc")] : [frame, empty, frame]),
            makeDecode: { lengthDecode(framing) }
        )
        FramingTestDriver.expectEveryChunking(
            of: hex("ca fe 00 03 ff"),
            yields: DecodeOutcome(error: .invalidLength),
            makeDecode: { lengthDecode(framing) }
        )
    }

    /// The field counts the payload, and a 2-byte checksum follows it: `adjustment = +2`.
    @Test(arguments: [true, false])
    func positiveAdjustment(stripHeader: Bool) throws {
        let framing = try LengthFieldFraming(lengthFieldWidth: .one, lengthAdjustment: 2, stripHeader: stripHeader)
        let frame = hex("03") + bytes("abc") + hex("12 34")
        let empty = hex("00 56 78")
        FramingTestDriver.expectEveryChunking(
            of: frame + empty,
            yields: DecodeOutcome(
                messages: stripHeader ? [bytes("abc") + hex("12 34"), hex("56 78")] : [frame, empty]
            ),
            makeDecode: { lengthDecode(framing) }
        )
    }

    /// A prefix of the largest supported length, 64 bytes.
    @Test func largestOffset() throws {
        let framing = try LengthFieldFraming(lengthFieldOffset: 64, lengthFieldWidth: .one)
        let prefix = [UInt8](repeating: 0xAB, count: 64)
        FramingTestDriver.expectEveryChunking(
            of: prefix + hex("02 61 62") + prefix + hex("00"),
            yields: DecodeOutcome(messages: [bytes("ab"), []]),
            makeDecode: { lengthDecode(framing) }
        )
    }

    // MARK: Limits

    /// `maxFrameLength` bounds the whole frame, header included: at passes, above fails.
    @Test(arguments: [(9, true), (10, true), (11, false)])
    func maxFrameLengthAtBelowAndAbove(frameLength: Int, passes: Bool) throws {
        let framing = try LengthFieldFraming(lengthFieldWidth: .two, maxFrameLength: 10)
        let payload = [UInt8](repeating: 0x41, count: frameLength - 2)
        FramingTestDriver.expectEveryChunking(
            of: hex("00 01 2e") + field(UInt64(payload.count), width: 2, .big) + payload,
            yields: DecodeOutcome(
                messages: passes ? [bytes("."), payload] : [bytes(".")], error: passes ? nil : .messageTooLarge),
            makeDecode: { lengthDecode(framing) }
        )
    }

    /// `minFrameLength` bounds the whole frame, header included: at passes, below fails.
    @Test(arguments: [(5, false), (6, true), (7, true)])
    func minFrameLengthAtBelowAndAbove(frameLength: Int, passes: Bool) throws {
        let framing = try LengthFieldFraming(lengthFieldWidth: .two, minFrameLength: 6)
        let payload = [UInt8](repeating: 0x42, count: frameLength - 2)
        FramingTestDriver.expectEveryChunking(
            of: field(UInt64(payload.count), width: 2, .big) + payload,
            yields: DecodeOutcome(messages: passes ? [payload] : [], error: passes ? nil : .invalidLength),
            makeDecode: { lengthDecode(framing) }
        )
    }

    /// Peer-controlled numbers at the edges of 64-bit arithmetic: refused, never trapped on, never allocated.
    @Test(arguments: [
        // (field, adjustment, maxFrameLength, expected)
        (UInt64.max, 0, Int.max, ProtocolError.Kind.messageTooLarge),  // above Int.max
        (UInt64(Int.max) + 1, -1, Int.max, .messageTooLarge),
        (UInt64(Int.max), 0, Int.max, .messageTooLarge),  // header + value overflows
        (UInt64(Int.max), 1, Int.max, .messageTooLarge),  // value + adjustment overflows
        (UInt64(Int.max - 8), 0, Int.max, .messageTooLarge),  // 8 + 8 + (Int.max - 8) overflows
        (1, Int.max, Int.max, .messageTooLarge),
        (0, -1, Int.max, .invalidLength),
        (5, Int.min, Int.max, .invalidLength),
        (0xFFFF_FFFF, 0, 10_485_760, .messageTooLarge),
    ])
    func overflowAttempts(value: UInt64, adjustment: Int, maxFrameLength: Int, expected: ProtocolError.Kind) throws {
        for endianness in [LengthFieldFraming.Endianness.big, .little] {
            let framing = try LengthFieldFraming(
                lengthFieldOffset: 8,
                lengthFieldWidth: .eight,
                endianness: endianness,
                lengthAdjustment: adjustment,
                maxFrameLength: maxFrameLength
            )
            FramingTestDriver.expectEveryChunking(
                of: [UInt8](repeating: 0, count: 8) + field(value, width: 8, endianness) + bytes("tail"),
                yields: DecodeOutcome(error: expected),
                makeDecode: { lengthDecode(framing) }
            )
        }
    }

    /// A huge but acceptable length is streamed, not allocated: the decoder just counts down.
    @Test func hugeAcceptedLengthIsCountedNotAllocated() throws {
        let framing = try LengthFieldFraming(lengthFieldWidth: .eight, maxFrameLength: Int.max)
        let wire = field(UInt64(Int.max - 8), width: 8, .big) + bytes("abc")
        let outcome = FramingTestDriver.run([wire], decode: lengthDecode(framing))
        #expect(outcome == DecodeOutcome(unfinished: bytes("abc")))
    }

    @Test func errorsAreRaisedFromTheHeaderAlone() {
        var decoder = LengthFieldDecoder()
        #expect(
            throws: ProtocolError(
                .messageTooLarge, closeCode: 1009, reason: "length field 4294967295 exceeds the frame limit 10485760")
        ) {
            try step(hex("ff ff ff ff"), decoder: &decoder, options: .workermanFrame)
        }
    }

    @Test func offsetAtEndNeedsMoreInput() throws {
        var decoder = LengthFieldDecoder()
        #expect(try step([], decoder: &decoder, options: .workermanFrame) == DecodeStep(.needMoreInput, nextOffset: 0))
        #expect(decoder == LengthFieldDecoder())
    }

    // MARK: Configuration

    @Test func invalidConfigurationsAreRefused() {
        #expect(throws: LengthFieldFraming.ConfigurationError.self) {
            try LengthFieldFraming(lengthFieldOffset: 65, lengthFieldWidth: .one)
        }
        #expect(throws: LengthFieldFraming.ConfigurationError.self) {
            try LengthFieldFraming(lengthFieldOffset: -1, lengthFieldWidth: .one)
        }
        #expect(throws: LengthFieldFraming.ConfigurationError.self) {
            try LengthFieldFraming(lengthFieldOffset: 2, lengthFieldWidth: .four, maxFrameLength: 5)
        }
        #expect(throws: LengthFieldFraming.ConfigurationError.self) {
            try LengthFieldFraming(lengthFieldWidth: .four, maxFrameLength: 100, minFrameLength: 101)
        }
        #expect(throws: LengthFieldFraming.ConfigurationError.self) {
            try LengthFieldFraming(lengthFieldWidth: .four, minFrameLength: -1)
        }
        #expect(throws: LengthFieldFraming.ConfigurationError.self) {
            try LengthFieldFraming(lengthFieldOffset: 2, lengthFieldWidth: .four, outboundPrefix: [1])
        }
        #expect(throws: Never.self) {
            try LengthFieldFraming(
                lengthFieldOffset: 2, lengthFieldWidth: .four, maxFrameLength: 6, outboundPrefix: [1, 2])
        }
    }

    @Test func fieldWidthMaxValues() {
        #expect(LengthFieldFraming.FieldWidth.allCases.map(\.maxValue) == [0xFF, 0xFFFF, 0xFFFF_FFFF, .max])
    }
}
