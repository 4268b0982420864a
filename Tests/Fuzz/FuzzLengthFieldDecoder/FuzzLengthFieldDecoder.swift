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
// Build: swift build --product FuzzLengthFieldDecoder --sanitize=fuzzer --sanitize=address
//        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz
// The extra -Xswiftc is needed with Swift 6.3: SwiftPM passes the two sanitizers as separate
// -sanitize= flags and only -sanitize=address reaches the frontend, so without it the code has
// ASan but no coverage instrumentation ("Loaded 1 modules (3 inline 8-bit counters)") and
// libFuzzer mutates blindly.
// Without FUZZING the executable replays files (or directories of files) given as arguments.
import RingGateCodecs

#if !FUZZING
    import Foundation
#endif

/// What a connection would observe.
struct Outcome: Equatable {
    var messages: [[UInt8]] = []
    var unfinished: [UInt8] = []
    var error: ProtocolError.Kind? = nil
}

/// Feeds `chunks` to a fresh decoder, checking the step contract; returns the outcome and, per
/// complete message, how many events it took.
func decode(_ chunks: [[UInt8]], options: LengthFieldFraming) -> (Outcome, eventsPerMessage: [Int]) {
    var decoder = LengthFieldDecoder()
    var outcome = Outcome()
    var events: [Int] = []
    var message: [UInt8] = []
    var messageEvents = 0
    for chunk in chunks {
        var bytes = chunk
        var input = bytes.mutableSpan
        var offset = 0
        while true {
            let step: DecodeStep
            do {
                step = try decoder.decode(&input, from: offset, options: options)
            } catch {
                outcome.error = error.kind
                return (outcome, events)
            }
            precondition(step.nextOffset >= offset && step.nextOffset <= input.count, "nextOffset out of bounds")
            if case .messageBytes(let range, let isMessageEnd) = step.event {
                precondition(range.lowerBound >= offset && range.upperBound <= step.nextOffset, "range not consumed")
                precondition(step.nextOffset > offset, "event without progress")
                precondition(isMessageEnd || !range.isEmpty, "empty unfinished piece")
                for index in range { message.append(input[index]) }
                messageEvents += 1
                if isMessageEnd {
                    outcome.messages.append(message)
                    events.append(messageEvents)
                    message = []
                    messageEvents = 0
                }
                offset = step.nextOffset
                continue
            }
            guard case .needMoreInput = step.event else { preconditionFailure("no control frames here") }
            precondition(step.nextOffset == input.count, "needMoreInput before the end")
            break
        }
    }
    outcome.unfinished = message
    return (outcome, events)
}

/// The framing computed over the whole wire at once, lengths in 128-bit arithmetic.
func reference(_ wire: [UInt8], _ options: LengthFieldFraming) -> Outcome {
    var outcome = Outcome()
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
        guard value <= UInt64(Int.max) else { return Outcome(messages: outcome.messages, error: .messageTooLarge) }
        let after = Int128(value) + Int128(options.lengthAdjustment)
        guard after >= 0 else { return Outcome(messages: outcome.messages, error: .invalidLength) }
        let frame = Int128(header) + after
        guard frame <= Int128(options.maxFrameLength) else {
            return Outcome(messages: outcome.messages, error: .messageTooLarge)
        }
        guard frame >= Int128(options.minFrameLength) else {
            return Outcome(messages: outcome.messages, error: .invalidLength)
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

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 5 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let chunkSize = Int(bytes[0]) % 32 + 1
    guard let options = framing(bytes[1..<5]) else { return 0 }
    let wire = Array(bytes[5...])
    let chunks = stride(from: 0, to: wire.count, by: chunkSize).map {
        Array(wire[$0..<min($0 + chunkSize, wire.count)])
    }

    let (whole, eventsPerMessage) = decode([wire], options: options)
    let (chunked, _) = decode(chunks, options: options)
    let expected = reference(wire, options)
    precondition(whole == expected, "whole input differs from the reference")
    precondition(chunked == expected, "chunked input differs from the reference")
    precondition(eventsPerMessage.allSatisfy { $0 == 1 }, "a message lying whole in one input took several events")

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
    return 0
}

#if !FUZZING
    /// Replays corpus files or directories of them, so crashes can be reproduced without libFuzzer.
    @main struct Replay {
        static func main() {
            var files: [String] = []
            for path in CommandLine.arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    print("no such file: \(path)")
                    continue
                }
                if isDirectory.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                    files += names.sorted().map { path + "/" + $0 }
                } else {
                    files.append(path)
                }
            }
            for file in files {
                guard let contents = FileManager.default.contents(atPath: file) else { continue }
                let bytes = [UInt8](contents)
                bytes.withUnsafeBufferPointer { buffer in
                    if let base = buffer.baseAddress { _ = fuzz(base, buffer.count) }
                }
            }
            print("replayed \(files.count) inputs")
        }
    }
#endif
