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
// Build and run: `scripts/fuzz-smoke.sh 60 FuzzTextDecoder` (flags: FuzzSupport/FuzzReplay.swift).
// Without FUZZING the executable replays files (or directories of files) given as arguments.
import FuzzSupport
import RingGateCodecs

/// The protocol in a few lines: a line ends at "\n"; a line that reaches `limit` bytes is refused.
func reference(_ wire: [UInt8], limit: Int) -> FramedStream {
    var outcome = FramedStream()
    var line: [UInt8] = []
    for byte in wire {
        guard line.count < limit else { return FramedStream(messages: outcome.messages, error: .messageTooLarge) }
        if byte == 0x0A {
            outcome.messages.append(line)
            line = []
        } else {
            line.append(byte)
            if line.count >= limit { return FramedStream(messages: outcome.messages, error: .messageTooLarge) }
        }
    }
    outcome.unfinished = line
    return outcome
}

func fuzzOne(_ bytes: [UInt8]) {
    guard bytes.count >= 2 else { return }
    let options = TextFraming(maxMessageLength: bytes[1] == 0xFF ? 10_485_760 : Int(bytes[1]) % 64)
    let wire = Array(bytes[2...])
    let whole = FuzzDecoding.checkFraming(
        wire, chunkSize: Int(bytes[0]) % 32 + 1, expected: reference(wire, limit: options.maxMessageLength),
        decoder: TextDecoder()
    ) { decoder, input, offset throws(ProtocolError) in try decoder.decode(&input, from: offset, options: options) }

    for message in whole.messages {
        let length = TextDecoder.trimmedLength(of: message.span)
        precondition(length >= 0 && length <= message.count, "trimmed length out of bounds")
        precondition(message[length...].allSatisfy { $0 == 0x0A || $0 == 0x0D }, "trimmed a non-newline byte")
        precondition(length == 0 || (message[length - 1] != 0x0A && message[length - 1] != 0x0D), "left a newline")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
