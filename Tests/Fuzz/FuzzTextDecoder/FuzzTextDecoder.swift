// libFuzzer target for TextDecoder (workerman text://, spec §8.1).
//
// Input layout: byte 0 picks the chunk size (1...32), byte 1 the line limit (0...63, or the default
// 10 485 760 when 0xFF), the rest is the wire. Invariants, each a trap for libFuzzer to report:
// - every step keeps the DecodeStep contract (ranges inside the consumed bytes, progress, needMoreInput
//   only at the end, no empty unfinished pieces);
// - decoding the wire whole and in chunks yields the same messages, unfinished tail and error, and
//   both equal a one-line reference model of the protocol;
// - fed whole, each complete message is one event (deliverable without a copy);
// - trimmedLength strips exactly the trailing "\r"/"\n" run.
//
// Build: swift build --product FuzzTextDecoder --sanitize=fuzzer --sanitize=address
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
func decode(_ chunks: [[UInt8]], options: TextFraming) -> (Outcome, eventsPerMessage: [Int]) {
    var decoder = TextDecoder()
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
            guard case .needMoreInput = step.event else { preconditionFailure("Text reports no control frames") }
            precondition(step.nextOffset == input.count, "needMoreInput before the end")
            break
        }
    }
    outcome.unfinished = message
    return (outcome, events)
}

/// The protocol in a few lines: a line ends at "\n"; a line that reaches `limit` bytes is refused.
func reference(_ wire: [UInt8], limit: Int) -> Outcome {
    var outcome = Outcome()
    var line: [UInt8] = []
    for byte in wire {
        guard line.count < limit else { return Outcome(messages: outcome.messages, error: .messageTooLarge) }
        if byte == 0x0A {
            outcome.messages.append(line)
            line = []
        } else {
            line.append(byte)
            if line.count >= limit { return Outcome(messages: outcome.messages, error: .messageTooLarge) }
        }
    }
    outcome.unfinished = line
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let chunkSize = Int(bytes[0]) % 32 + 1
    let options = TextFraming(maxMessageLength: bytes[1] == 0xFF ? 10_485_760 : Int(bytes[1]) % 64)
    let wire = Array(bytes[2...])
    let chunks = stride(from: 0, to: wire.count, by: chunkSize).map {
        Array(wire[$0..<min($0 + chunkSize, wire.count)])
    }

    let (whole, eventsPerMessage) = decode([wire], options: options)
    let (chunked, _) = decode(chunks, options: options)
    let expected = reference(wire, limit: options.maxMessageLength)
    precondition(whole == expected, "whole input differs from the reference")
    precondition(chunked == expected, "chunked input differs from the reference")
    precondition(eventsPerMessage.allSatisfy { $0 == 1 }, "a message lying whole in one input took several events")

    for message in whole.messages {
        let length = TextDecoder.trimmedLength(of: message.span)
        precondition(length >= 0 && length <= message.count, "trimmed length out of bounds")
        precondition(message[length...].allSatisfy { $0 == 0x0A || $0 == 0x0D }, "trimmed a non-newline byte")
        precondition(length == 0 || (message[length - 1] != 0x0A && message[length - 1] != 0x0D), "left a newline")
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
