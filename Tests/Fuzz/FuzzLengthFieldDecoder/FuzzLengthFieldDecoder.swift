// libFuzzer target for LengthFieldDecoder.
//
// Input layout: byte 0 picks the chunk size (1...32); byte 1 the field (bits 0-1 width 1/2/4/8,
// bit 2 little endian, bit 3 keep the header, bits 4-7 the offset 0...15); byte 2 the adjustment
// (as Int8; 0x7F and 0x80 mean Int.max and Int.min); byte 3 the frame limit (header + 0...252, or
// 0xFD Int.max, 0xFE 65 536, 0xFF the default 10 485 760); byte 4 the minimum frame length (0...31);
// the rest is the wire. Invariants, each a trap for libFuzzer to report:
// - every step keeps the DecodeStep contract;
// - decoding whole and in chunks yields the same messages, unfinished tail and error, and both equal
//   a non-streaming reference that computes lengths in 128-bit arithmetic;
// - fed whole, each complete message is one event (deliverable without a copy);
// - when the header is stripped, re-encoding each message with LengthFieldEncoder reproduces the wire.
//
// Build and run: `scripts/fuzz-smoke.sh 60 FuzzLengthFieldDecoder` (flags: FuzzSupport/FuzzReplay.swift).
// Without FUZZING the executable replays files (or directories of files) given as arguments.
import FuzzSupport
import RingGateCodecs

/// The framing computed over the whole wire at once, lengths in 128-bit arithmetic.
func reference(_ wire: [UInt8], _ options: LengthFieldFraming) -> FramedStream {
    var outcome = FramedStream()
    let header = options.headerLength
    var position = 0
    while true {
        guard wire.count - position >= header else {
            outcome.unfinished = options.stripHeader ? [] : Array(wire[position...])
            return outcome
        }
        let field = wire[(position + options.lengthFieldOffset)..<(position + header)]
        let ordered = options.endianness == .big ? Array(field) : field.reversed()
        let value = ordered.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard value <= UInt64(Int.max) else { return FramedStream(messages: outcome.messages, error: .messageTooLarge) }
        let after = Int128(value) + Int128(options.lengthAdjustment)
        guard after >= 0 else { return FramedStream(messages: outcome.messages, error: .invalidLength) }
        let frame = Int128(header) + after
        guard frame <= Int128(options.maxFrameLength) else {
            return FramedStream(messages: outcome.messages, error: .messageTooLarge)
        }
        guard frame >= Int128(options.minFrameLength) else {
            return FramedStream(messages: outcome.messages, error: .invalidLength)
        }
        let start = options.stripHeader ? position + header : position
        guard Int128(wire.count - position) >= frame else {
            outcome.unfinished = Array(wire[start...])
            return outcome
        }
        let end = position + Int(frame)
        outcome.messages.append(Array(wire[start..<end]))
        position = end
    }
}

/// The framing chosen by the four option bytes, or nil when they describe an invalid configuration.
func framing(_ bytes: ArraySlice<UInt8>) -> LengthFieldFraming? {
    let shape = bytes[bytes.startIndex]
    let width = LengthFieldFraming.FieldWidth.allCases[Int(shape & 0b11)]
    let offset = Int(shape >> 4)
    let adjustmentByte = bytes[bytes.startIndex + 1]
    let adjustment =
        switch adjustmentByte {
        case 0x7F: Int.max
        case 0x80: Int.min
        default: Int(Int8(bitPattern: adjustmentByte))
        }
    let limitByte = bytes[bytes.startIndex + 2]
    let maxFrameLength =
        switch limitByte {
        case 0xFD: Int.max
        case 0xFE: 65_536
        case 0xFF: 10_485_760
        default: offset + width.rawValue + Int(limitByte)
        }
    return try? LengthFieldFraming(
        lengthFieldOffset: offset,
        lengthFieldWidth: width,
        endianness: shape & 0b100 == 0 ? .big : .little,
        lengthAdjustment: adjustment,
        stripHeader: shape & 0b1000 == 0,
        maxFrameLength: maxFrameLength,
        minFrameLength: Int(bytes[bytes.startIndex + 3]) % 32,
        outboundPrefix: []
    )
}

func fuzzOne(_ bytes: [UInt8]) {
    guard bytes.count >= 5, let options = framing(bytes[1..<5]) else { return }
    let wire = Array(bytes[5...])
    let whole = FuzzDecoding.checkFraming(
        wire, chunkSize: Int(bytes[0]) % 32 + 1, expected: reference(wire, options), decoder: LengthFieldDecoder()
    ) { decoder, input, offset throws(ProtocolError) in try decoder.decode(&input, from: offset, options: options) }

    // Re-encoding: with a zero prefix, header ‖ message must reproduce each frame of the wire.
    if options.stripHeader {
        var position = 0
        for message in whole.messages {
            let frameLength = options.headerLength + message.count
            let frame = wire[position..<(position + frameLength)]
            position += frameLength
            guard frame.prefix(options.lengthFieldOffset).allSatisfy({ $0 == 0 }) else { continue }
            guard let encoded = try? LengthFieldEncoder.encode(message.span, options: options) else {
                preconditionFailure("a decoded message could not be encoded back")
            }
            precondition(encoded[...] == frame, "re-encoded frame differs from the wire")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
