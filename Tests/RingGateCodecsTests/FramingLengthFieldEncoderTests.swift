import RingGateCodecs
import Testing

/// Writes the header for `payloadLength` into a buffer of `capacity` bytes and returns the buffer.
private func header(
    payloadLength: Int,
    options: LengthFieldFraming,
    capacity: Int = 16
) throws(LengthFieldEncoder.EncodingError) -> [UInt8] {
    var buffer = [UInt8](repeating: 0xEE, count: capacity)
    var output = buffer.mutableSpan
    let written = try LengthFieldEncoder.writeHeader(payloadLength: payloadLength, into: &output, options: options)
    _ = consume output
    #expect(written == LengthFieldEncoder.headerLength(payloadLength: payloadLength, options: options))
    return Array(buffer[..<written])
}

@Suite("Length-field framing encoder")
struct FramingLengthFieldEncoderTests {
    @Test func widthsAndEndianness() throws {
        let cases: [(LengthFieldFraming.FieldWidth, LengthFieldFraming.Endianness, [UInt8])] = [
            (.one, .big, hex("05")), (.one, .little, hex("05")),
            (.two, .big, hex("01 02")), (.two, .little, hex("02 01")),
            (.four, .big, hex("00 00 01 02")), (.four, .little, hex("02 01 00 00")),
            (.eight, .big, hex("00 00 00 00 00 00 01 02")), (.eight, .little, hex("02 01 00 00 00 00 00 00")),
        ]
        for (width, endianness, expected) in cases {
            let framing = try LengthFieldFraming(lengthFieldWidth: width, endianness: endianness)
            let payloadLength = width == .one ? 5 : 0x0102
            #expect(try header(payloadLength: payloadLength, options: framing) == expected, "\(width) \(endianness)")
        }
    }

    @Test func prefixIsZerosOrTheConfiguredBytes() throws {
        let zeros = try LengthFieldFraming(lengthFieldOffset: 3, lengthFieldWidth: .two)
        #expect(try header(payloadLength: 2, options: zeros) == hex("00 00 00 00 02"))
        let magic = try LengthFieldFraming(lengthFieldOffset: 2, lengthFieldWidth: .two, outboundPrefix: [0xCA, 0xFE])
        #expect(try header(payloadLength: 2, options: magic) == hex("ca fe 00 02"))
    }

    /// The field value inverts the adjustment: `payloadLength - lengthAdjustment`.
    @Test func adjustmentIsInverted() throws {
        let wholeFrame = try LengthFieldFraming(lengthFieldOffset: 2, lengthFieldWidth: .two, lengthAdjustment: -4)
        #expect(try header(payloadLength: 3, options: wholeFrame) == hex("00 00 00 07"))
        let checksum = try LengthFieldFraming(lengthFieldWidth: .one, lengthAdjustment: 2)
        #expect(try header(payloadLength: 5, options: checksum) == hex("03"))
        #expect(try header(payloadLength: 2, options: checksum) == hex("00"))
    }

    @Test func payloadsThatDoNotFitAreRefused() throws {
        let oneByte = try LengthFieldFraming(lengthFieldWidth: .one)
        #expect(try header(payloadLength: 255, options: oneByte) == hex("ff"))
        #expect(throws: LengthFieldEncoder.EncodingError.self) { try header(payloadLength: 256, options: oneByte) }
        let frameOneByte = try LengthFieldFraming(lengthFieldWidth: .one, lengthAdjustment: -1)
        #expect(try header(payloadLength: 254, options: frameOneByte) == hex("ff"))
        #expect(throws: LengthFieldEncoder.EncodingError.self) { try header(payloadLength: 255, options: frameOneByte) }
        let checksum = try LengthFieldFraming(lengthFieldWidth: .one, lengthAdjustment: 2)
        #expect(throws: LengthFieldEncoder.EncodingError.self) { try header(payloadLength: 1, options: checksum) }
        let extreme = try LengthFieldFraming(lengthFieldWidth: .eight, lengthAdjustment: Int.min)
        #expect(throws: LengthFieldEncoder.EncodingError.self) { try header(payloadLength: 0, options: extreme) }
        let fourBytes = try LengthFieldFraming(lengthFieldWidth: .four)
        #expect(throws: LengthFieldEncoder.EncodingError.self) {
            try header(payloadLength: 1 << 32, options: fourBytes)
        }
    }

    /// A kept header means the worker sends whole frames: nothing is written.
    @Test func keptHeaderWritesNothing() throws {
        let kept = try LengthFieldFraming(lengthFieldOffset: 4, lengthFieldWidth: .four, stripHeader: false)
        #expect(LengthFieldEncoder.headerLength(payloadLength: 100, options: kept) == 0)
        #expect(try header(payloadLength: 100, options: kept, capacity: 0) == [])
        let frame = hex("00 00 00 07 00 00 00 01 21")
        #expect(try LengthFieldEncoder.encode(frame.span, options: kept) == frame)
    }

    /// Whatever the configuration, a peer decoding with the same framing reads back the payloads.
    @Test(arguments: LengthFieldFraming.FieldWidth.allCases, [LengthFieldFraming.Endianness.big, .little])
    func encodedPayloadsDecodeBack(width: LengthFieldFraming.FieldWidth, endianness: LengthFieldFraming.Endianness)
        throws
    {
        let payloads = [bytes("hello"), [], bytes("\u{0}\n\r"), [UInt8](repeating: 0x30, count: 200)]
        for offset in [0, 3] {
            for adjustment in [-(offset + width.rawValue), 0, 2] {
                let framing = try LengthFieldFraming(
                    lengthFieldOffset: offset,
                    lengthFieldWidth: width,
                    endianness: endianness,
                    lengthAdjustment: adjustment
                )
                let fitting = payloads.filter {
                    $0.count >= adjustment && UInt64($0.count - adjustment) <= width.maxValue
                }
                let wire = try Array(
                    fitting.map { payload in try LengthFieldEncoder.encode(payload.span, options: framing) }.joined())
                var decoder = LengthFieldDecoder()
                let outcome = FramingTestDriver.run([wire]) { input, start throws(ProtocolError) in
                    try decoder.decode(&input, from: start, options: framing)
                }
                #expect(outcome == DecodeOutcome(messages: fitting), "offset \(offset) adjustment \(adjustment)")
            }
        }
    }
}
